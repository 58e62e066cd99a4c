/** Static reading of the TypeScript sources, for tests that check other files against them. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './chart.js';

/**
 * Repo-relative .ts files reachable from `entry` through relative imports (static, dynamic and
 * re-exports). Package imports are not followed.
 */
export function reachableSources(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), m[1])).replace(/\.js$/, '.ts');
      if (existsSync(join(REPO_ROOT, target))) queue.push(target);
    }
  }
  return seen;
}

/** The concatenated text of the given sources. */
export function sourceText(files: Iterable<string>): string {
  return [...files].map((f) => readFileSync(join(REPO_ROOT, f), 'utf8')).join('\n');
}

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Relative imports of a TS file, resolved to .ts paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
}

function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of imports(f)) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

/** The reconciler and the embedded-mode entry never load the Kubernetes client. */
describe('operator module boundaries', () => {
  it.each(['operator/reconciler.ts', 'operator/operator.ts', 'operator/index.ts'])(
    '%s does not import @kubernetes/client-node',
    (entry) => {
      const { packages, files } = closure(entry);
      expect([...packages].filter((p) => p.startsWith('@kubernetes/'))).toEqual([]);
      expect([...files].some((f) => f.includes('/adapters/kube-'))).toBe(false);
    },
  );
});

/**
 * `npm run bench`: every benchmark, one after another (they share two cores, so never in parallel).
 * Each prints its own table and updates its section of docs/performance.md.
 * `npm run bench -- fpn edge` runs a subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES = ['synth', 'storage', 'fpn', 'edge', 'trainer', 'operator'];
const here = dirname(fileURLToPath(import.meta.url));
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : BENCHES;
const unknown = chosen.filter((b) => !BENCHES.includes(b));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; valid: ${BENCHES.join(', ')}`);
  process.exit(2);
}

const results: Array<{ bench: string; status: string; seconds: string }> = [];
for (const bench of chosen) {
  const file = join(here, `${bench}.ts`);
  if (!existsSync(file)) {
    results.push({ bench, status: 'missing', seconds: '-' });
    continue;
  }
  console.log(`\n=== bench: ${bench} ===`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  results.push({
    bench,
    status: run.status === 0 ? 'ok' : `exit ${run.status}`,
    seconds: ((Date.now() - started) / 1000).toFixed(0),
  });
}
console.log('\n| bench | status | seconds |\n|---|---|---|');
for (const r of results) console.log(`| ${r.bench} | ${r.status} | ${r.seconds} |`);
process.exitCode = results.every((r) => r.status === 'ok') ? 0 : 1;

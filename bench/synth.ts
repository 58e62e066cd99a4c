/**
 * `npm run bench:synth`: images per second of the synthetic PCB-AoI generator (target >= 50 on two
 * cores), for both production lines, written to a temp dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeDataset } from '../lib/dataset/synth/index.js';

const COUNT = Number(process.env.BENCH_SYNTH_COUNT ?? 300);
const dir = await mkdtemp(join(tmpdir(), 'bench-synth-'));
try {
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('| line | images | boxes | seconds | images/s |\n|---|---|---|---|---|');
  for (const line of [1, 2] as const) {
    const started = performance.now();
    const result = await synthesizeDataset({
      out: join(dir, `l${line}`),
      line,
      split: 'bench',
      count: COUNT,
      seed: 1,
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `| ${line} | ${result.images} | ${result.boxes} | ${seconds.toFixed(2)} | ${(result.images / seconds).toFixed(1)} |`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

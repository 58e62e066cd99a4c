/**
 * `node --import tsx bench/edge-bare-detect.ts <model.zip> <image> <runs>`: p50 of a bare
 * `detect()` in a fresh process (no training, no HTTP), printed as JSON for bench/edge.ts.
 */
import { readFile } from 'node:fs/promises';
import { FpnModel } from '../lib/builtin-algorithms/fpn/index.js';

const [zip, imagePath, runsArg] = process.argv.slice(2);
const image = await readFile(imagePath);
const model = new FpnModel();
await model.load(zip);
// Long warm-up: V8 first runs wasm on its baseline compiler and tiers up in the background; the
// agent it is compared with has served hundreds of requests by then.
const detect = () => model.detect({ name: 'bench.jpg', data: image });
// Up to 60 calls or 3 s, at least 3 (a large model takes seconds per call).
for (let i = 0, start = performance.now(); i < 3 || (i < 60 && performance.now() - start < 3000); i++)
  await detect();
const times: number[] = [];
// Up to `runs` calls or 4 s, at least 3.
for (
  let i = 0, start = performance.now();
  i < 3 || (i < Number(runsArg) && performance.now() - start < 4000);
  i++
) {
  const t = performance.now();
  await detect();
  times.push(performance.now() - t);
}
await model.dispose();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ p50: times[Math.floor(times.length / 2)] }));

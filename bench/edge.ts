/**
 * `npm run bench:edge`: edge agent figures on this machine (figures, not pass/fail), side by side
 * for the two engines (ONNX Runtime; TF.js, the fallback, from the same model without model.onnx):
 *   - sequential POST /v1/infer p50 / p95, images/s at concurrency 1, 2 and 4 (autocannon, against
 *     the agent running as its own process: `edge-stl edge-agent`), /healthz worst latency under
 *     the concurrency-4 load;
 *   - the 1x500 and 1x2000 PNGs: time to their 400, and the status of the next normal image;
 *   - with BENCH_OVERHEAD=1, HTTP overhead: sequential /v1/infer p50 over a bare `detect()` p50;
 *   - sample upload rate from the outbox to S3 (embedded s3rver, or S3_ENDPOINT when set);
 *   - agent RSS after loading the model and its peak after the load test.
 * Prints a table and writes the "Edge agent" section of docs/performance.md.
 * The upload rate against s3rver is bounded by s3rver itself (about 60-110 PUT/s here, 2 PUTs per sample).
 * Env: BENCH_MODEL (a model.zip; default: a 2-iteration FPN of BENCH_PRESET, default "default":
 * latency does not depend on the weights), BENCH_DURATION (seconds per load run, default 10),
 * BENCH_UPLOADS (samples, default 300), BENCH_IMAGE (WxH of the test frame, default 600x600).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePerformanceSection } from './performance-doc.js';
import sharp from 'sharp';
import { FpnModel, writeSyntheticDataset } from '../lib/builtin-algorithms/fpn/index.js';
import { packWithoutOnnx } from '../lib/builtin-algorithms/fpn/model-zip.js';
import { loadDataset } from '../lib/dataset/index.js';
import { createLogger } from '../lib/log.js';
import { startEmbeddedS3 } from '../lib/storage/embedded-s3.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import type { S3Config } from '../lib/storage/object-store.js';
import { s3ConfigFromEnv } from '../lib/storage/s3-config.js';
import { DEFAULT_LIMITS } from '../edge-agent/config.js';
import { AgentMetrics } from '../edge-agent/metrics.js';
import { Outbox } from '../edge-agent/outbox.js';
import { StoreSampleTarget } from '../edge-agent/sample-target.js';
import { Uploader } from '../edge-agent/uploader.js';

/** The part of autocannon's result this bench reads (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const PRESET = process.env.BENCH_PRESET ?? 'default';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 300);
const [WIDTH, HEIGHT] = (process.env.BENCH_IMAGE ?? '600x600').split('x').map(Number);
const ROOT = process.cwd();

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A camera-like frame: textured background and a few bars. */
async function benchImage(): Promise<Buffer> {
  const noise = randomBytes(WIDTH * HEIGHT * 3).map((v) => 90 + (v % 60));
  const bar = (w: number, h: number, rgb: number[]) => ({
    input: Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3])),
    raw: { width: w, height: h, channels: 3 as const },
  });
  return sharp(noise, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .composite([
      { ...bar(Math.round(WIDTH / 4), 12, [220, 30, 30]), left: 40, top: 60 },
      { ...bar(12, Math.round(HEIGHT / 3), [30, 30, 220]), left: Math.round(WIDTH / 2), top: 100 },
    ])
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function modelZip(work: string): Promise<string> {
  if (process.env.BENCH_MODEL) return process.env.BENCH_MODEL;
  const synth = await writeSyntheticDataset(join(work, 'data'), { images: 8 });
  const model = new FpnModel({
    preset: PRESET,
    max_iteration: PRESET === 'tiny' ? 24 : 2,
    warmup_iterations: 0,
  });
  await model.train(await loadDataset(synth.indexPath), undefined, { workDir: join(work, 'train') });
  const path = join(work, 'model.zip');
  await model.save(path);
  await model.dispose();
  return path;
}

/** p50 of `f()` over up to `runs` calls or 4 s (at least 3), after two warm-up calls. */
async function p50Of(f: () => Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < 2; i++) await f();
  const times: number[] = [];
  for (let i = 0, start = performance.now(); i < 3 || (i < runs && performance.now() - start < 4000); i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return percentile(times, 50);
}

/** p50 of a bare `detect()` in a fresh process (this one trained the model: a different heap). */
async function bareDetectP50(zip: string, imagePath: string, runs: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/edge-bare-detect.ts'), zip, imagePath, String(runs)],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`bare detect run failed (${code})`);
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { p50: number }).p50;
}

/**
 * What HTTP and the agent add over a bare `detect()` on the same image: rounds alternate the two,
 * so load from other processes hits both alike; the median round is reported.
 */
async function overhead(
  zip: string,
  url: string,
  image: Buffer,
  work: string,
): Promise<{ bare: number; http: number; ratio: number }> {
  const imagePath = join(work, 'bench.jpg');
  await writeFile(imagePath, image);
  const body = new Uint8Array(image);
  const rounds: Array<{ bare: number; http: number; ratio: number }> = [];
  for (let round = 0; round < 5; round++) {
    const bare = await bareDetectP50(zip, imagePath, 20);
    const http = await p50Of(async () => {
      const res = await fetch(`${url}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body,
      });
      await res.arrayBuffer();
    }, 20);
    rounds.push({ bare, http, ratio: http / bare });
  }
  rounds.sort((a, b) => a.ratio - b.ratio);
  return rounds[Math.floor(rounds.length / 2)];
}

/** Starts `edge-stl edge-agent` as a child process and resolves with its URL once it is ready. */
async function startAgent(zip: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/edge-agent-process.ts'),
      ...['--node', 'bench', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--model', zip],
      ...['--sampling', 'none', '--queue-limit', '64'],
    ],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"Edge agent listening"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`agent exited (${code}): ${out.slice(-2000)}`)));
  });
  for (;;) {
    if ((await fetch(`${url}/readyz`)).status === 200) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function rssMb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function load(url: string, image: Buffer, connections: number): Promise<AutocannonResult> {
  return autocannon({
    url: `${url}/v1/infer`,
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: image,
    connections,
    duration: DURATION,
  });
}

/** Samples per second from a full outbox to S3 (uploader with the agent's default concurrency). */
async function uploadRate(work: string, image: Buffer): Promise<{ perSecond: number; mbPerSecond: number }> {
  let s3: S3Config;
  let stop = async () => {};
  if (process.env.S3_ENDPOINT) {
    s3 = s3ConfigFromEnv();
  } else {
    const embedded = await startEmbeddedS3({ dir: join(work, 's3') });
    s3 = { endpoint: embedded.endpoint, accessKey: embedded.accessKey, secretKey: embedded.secretKey };
    stop = embedded.stop;
  }
  const outbox = await Outbox.open(join(work, 'outbox'), { maxBytes: 4 * 1024 ** 3 });
  for (let i = 0; i < UPLOADS; i++) {
    const id = `${i.toString(16).padStart(8, '0')}${'0'.repeat(56)}`;
    await outbox.add(
      {
        id,
        job: { namespace: 'bench', name: 'edge' },
        node: 'bench',
        bucket: `edge-bench-${process.pid}`,
        createdAt: new Date(Date.now() + i).toISOString(),
        model: { job: 'bench/edge', version: 'v1' },
        reason: 'all',
        image: { width: WIDTH, height: HEIGHT, format: 'jpeg' },
        detections: [],
      },
      image,
    );
  }
  const bytes = outbox.bytes;
  const log = createLogger('bench-edge', { level: 'warn' });
  const uploader = new Uploader({
    outbox,
    // Standalone target: this measures the outbox and S3 path, not the operator round trip.
    target: new StoreSampleTarget(createObjectStore(s3), () => undefined),
    metrics: new AgentMetrics('bench', { defaultMetrics: false }),
    log,
    concurrency: DEFAULT_LIMITS.uploadConcurrency,
    maxBackoffMs: 1000,
  });
  const started = performance.now();
  uploader.start();
  while (outbox.size > 0) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  await uploader.stop();
  await stop();
  return { perSecond: UPLOADS / seconds, mbPerSecond: bytes / 1024 ** 2 / seconds };
}

/** Sequential /v1/infer latencies, ms (after two warm-up requests). */
async function sequential(url: string, image: Buffer, runs: number): Promise<number[]> {
  const body = new Uint8Array(image);
  const once = async () => {
    const res = await fetch(`${url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/v1/infer answered ${res.status}`);
  };
  for (let i = 0; i < 2; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  return times;
}

/** Worst /healthz latency while `during` runs (polled every 100 ms). */
async function healthzWorst<T>(url: string, during: Promise<T>): Promise<{ result: T; worstMs: number }> {
  let done = false;
  let worstMs = 0;
  const poll = (async () => {
    while (!done) {
      const t = performance.now();
      await (await fetch(`${url}/healthz`)).arrayBuffer();
      worstMs = Math.max(worstMs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await during;
  done = true;
  await poll;
  return { result, worstMs };
}

/** The attacker's thin PNGs: ms to their 400, and the status of the next normal image. */
async function thinImages(
  url: string,
  image: Buffer,
): Promise<{ ms: number[]; statuses: number[]; next: number }> {
  const ms: number[] = [];
  const statuses: number[] = [];
  for (const height of [500, 2000]) {
    const png = await sharp({ create: { width: 1, height, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const t = performance.now();
    const res = await fetch(`${url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(png),
    });
    await res.arrayBuffer();
    ms.push(performance.now() - t);
    statuses.push(res.status);
  }
  const next = await fetch(`${url}/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: new Uint8Array(image),
  });
  await next.arrayBuffer();
  return { ms, statuses, next: next.status };
}

interface EngineFigures {
  engine: string;
  p50: number;
  p95: number;
  ips: Record<1 | 2 | 4, AutocannonResult>;
  healthzWorstMs: number;
  idle: { rss: number; peak: number };
  after: { rss: number; peak: number };
  thin: { ms: number[]; statuses: number[]; next: number };
}

/** Every per-engine figure, against one agent process serving `zip`. */
async function measureEngine(zip: string, image: Buffer, dataDir: string): Promise<EngineFigures> {
  const { child, url } = await startAgent(zip, dataDir);
  try {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const engine = /edge_stl_agent_inference_engine\{[^}]*engine="(\w+)"/.exec(metrics)?.[1] ?? 'unknown';
    const idle = await rssMb(child.pid!);
    const lat = await sequential(url, image, 30);
    const ips = {} as Record<1 | 2 | 4, AutocannonResult>;
    for (const c of [1, 2] as const) ips[c] = await load(url, image, c);
    const loaded = await healthzWorst(url, load(url, image, 4));
    ips[4] = loaded.result;
    const after = await rssMb(child.pid!);
    const thin = await thinImages(url, image);
    return {
      engine,
      p50: percentile(lat, 50),
      p95: percentile(lat, 95),
      ips,
      healthzWorstMs: loaded.worstMs,
      idle,
      after,
      thin,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'edge-bench-'));
  try {
    const zip = await modelZip(work);
    const tfjsZip = await packWithoutOnnx(zip, join(work, 'tfjs-model.zip'), join(work, 'tfjs-files'));
    const image = await benchImage();
    const onnx = await measureEngine(zip, image, join(work, 'agent-onnx'));
    const tfjs = await measureEngine(tfjsZip, image, join(work, 'agent-tfjs'));
    let cost: { bare: number; http: number; ratio: number } | null = null;
    if (process.env.BENCH_OVERHEAD === '1') {
      const { child, url } = await startAgent(tfjsZip, join(work, 'agent-overhead'));
      try {
        cost = await overhead(tfjsZip, url, image, work);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    const upload = await uploadRate(work, image);
    const model = process.env.BENCH_MODEL
      ? `BENCH_MODEL ${process.env.BENCH_MODEL}`
      : `FPN preset ${PRESET} (2 iterations)`;
    const both = (f: (e: EngineFigures) => string): string => `${f(onnx)} | ${f(tfjs)}`;
    const rows: Array<[string, string]> = [
      [
        'model / image',
        `${model}; ${WIDTH}x${HEIGHT} JPEG (${(image.length / 1024).toFixed(0)} KiB), short side 640, agent concurrency 1 | same`,
      ],
      ['engine (from /metrics)', both((e) => e.engine)],
      ['sequential /v1/infer p50 / p95', both((e) => `${e.p50.toFixed(0)} / ${e.p95.toFixed(0)} ms`)],
      ...([1, 2, 4] as const).map((c): [string, string] => [
        `/v1/infer images/s at concurrency ${c} (p50 / p99)`,
        both(
          (e) =>
            `${e.ips[c].requests.average.toFixed(1)} (${e.ips[c].latency.p50} / ${e.ips[c].latency.p99} ms; ${e.ips[c].non2xx} non-2xx, ${e.ips[c].errors} errors)`,
        ),
      ]),
      [
        '/healthz worst latency during the concurrency-4 run',
        both((e) => `${e.healthzWorstMs.toFixed(0)} ms`),
      ],
      [
        '1x500 / 1x2000 PNG: status and time; next normal image',
        both(
          (e) =>
            `${e.thin.statuses.join(' / ')} in ${e.thin.ms.map((m) => m.toFixed(0)).join(' / ')} ms; next ${e.thin.next}`,
        ),
      ],
      [
        'agent RSS idle / after load (peak)',
        both(
          (e) => `${e.idle.rss.toFixed(0)} / ${e.after.rss.toFixed(0)} MiB (${e.after.peak.toFixed(0)} MiB)`,
        ),
      ],
      ...(cost
        ? [
            [
              'TF.js: bare detect() p50 / sequential /v1/infer p50 (overhead)',
              `${cost.bare.toFixed(1)} / ${cost.http.toFixed(1)} ms (${cost.ratio.toFixed(2)}x)`,
            ] as [string, string],
          ]
        : []),
      [
        'sample upload rate to S3',
        `${upload.perSecond.toFixed(1)} samples/s (${upload.mbPerSecond.toFixed(2)} MiB/s, ${UPLOADS} samples, ${DEFAULT_LIMITS.uploadConcurrency} parallel)`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`${''.padEnd(width)}  ONNX Runtime | TF.js`);
    console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'));
    await writePerformanceSection({
      id: 'edge-agent',
      command: 'npm run bench:edge',
      heading: 'Edge agent',
      setup:
        'The agent ran as its own process (`edge-stl edge-agent` through tsx), autocannon in the bench process, ' +
        `${DURATION} s per run.`,
      lines: [
        '| figure | ONNX Runtime | TF.js (fallback) |',
        '|---|---|---|',
        ...rows.map(([k, v]) => `| ${k} | ${v} |`),
      ],
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();

/**
 * `npm run bench:edge`: edge agent figures on this machine (figures, not pass/fail):
 *   - POST /v1/infer throughput and latency p50 / p99 at concurrency 1 and 4 (autocannon, against
 *     the agent running as its own process: `edge-stl edge-agent`);
 *   - HTTP overhead: sequential /v1/infer p50 over a bare `detect()` p50 (fresh process), in alternating rounds;
 *   - sample upload rate from the outbox to S3 (embedded s3rver, or S3_ENDPOINT when set);
 *   - agent RSS after loading the model and its peak after the load test.
 * Prints a table and writes the "Edge agent" section of docs/performance.md.
 * The upload rate against s3rver is bounded by s3rver itself (about 60-110 PUT/s here, 2 PUTs per sample).
 * Env: BENCH_MODEL (a model.zip; default: a freshly trained FPN of BENCH_PRESET, default "tiny"),
 * BENCH_DURATION (seconds per load run, default 10), BENCH_UPLOADS (samples, default 300),
 * BENCH_IMAGE (WxH of the test frame, default 640x480).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FpnModel, writeSyntheticDataset } from '../lib/algorithms/fpn/index.js';
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

const PRESET = process.env.BENCH_PRESET ?? 'tiny';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 300);
const [WIDTH, HEIGHT] = (process.env.BENCH_IMAGE ?? '640x480').split('x').map(Number);
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
  const model = new FpnModel({ preset: PRESET, max_iteration: PRESET === 'tiny' ? 24 : undefined });
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

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'edge-bench-'));
  try {
    const zip = await modelZip(work);
    const image = await benchImage();
    const { child, url } = await startAgent(zip, join(work, 'agent'));
    let c1: AutocannonResult;
    let c4: AutocannonResult;
    let idle: { rss: number; peak: number };
    let after: { rss: number; peak: number };
    let cost: { bare: number; http: number; ratio: number };
    try {
      idle = await rssMb(child.pid!);
      await load(url, image, 1); // warm-up run, discarded
      c1 = await load(url, image, 1);
      c4 = await load(url, image, 4);
      after = await rssMb(child.pid!);
      cost = await overhead(zip, url, image, work);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const upload = await uploadRate(work, image);
    const model = process.env.BENCH_MODEL ? `BENCH_MODEL ${process.env.BENCH_MODEL}` : `FPN preset ${PRESET}`;
    const rows: Array<[string, string]> = [
      [
        'model / image',
        `${model}; ${WIDTH}x${HEIGHT} JPEG (${(image.length / 1024).toFixed(0)} KiB), agent concurrency 1`,
      ],
      [
        'bare detect() p50 / sequential /v1/infer p50',
        `${cost.bare.toFixed(1)} / ${cost.http.toFixed(1)} ms`,
      ],
      ...(
        [
          ['1', c1],
          ['4', c4],
        ] as const
      ).flatMap(([c, r]): Array<[string, string]> => [
        [
          `/v1/infer c=${c} throughput`,
          `${r.requests.average.toFixed(1)} req/s (${r.requests.total} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`,
        ],
        [`/v1/infer c=${c} latency p50 / p99`, `${r.latency.p50} / ${r.latency.p99} ms`],
      ]),
      [
        'HTTP overhead (/v1/infer p50 / bare detect() p50)',
        `${cost.ratio.toFixed(2)}x (median of 5 alternating rounds)`,
      ],
      [
        'sample upload rate to S3',
        `${upload.perSecond.toFixed(1)} samples/s (${upload.mbPerSecond.toFixed(2)} MiB/s, ${UPLOADS} samples, ${DEFAULT_LIMITS.uploadConcurrency} parallel)`,
      ],
      [
        'agent RSS idle / after load (peak)',
        `${idle.rss.toFixed(0)} / ${after.rss.toFixed(0)} MiB (${after.peak.toFixed(0)} MiB)`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'));
    await writeSection(rows);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Replaces (or appends) the Edge agent section of docs/performance.md. */
async function writeSection(rows: Array<[string, string]>): Promise<void> {
  const path = join(ROOT, 'docs', 'performance.md');
  const existing = await readFile(path, 'utf8').catch(
    () => '# Performance\n\nFigures from `npm run bench:*` on the machine named in each section.\n',
  );
  const cpu =
    (await readFile('/proc/cpuinfo', 'utf8').catch(() => '')).match(/model name\s*:\s*(.*)/)?.[1] ??
    'unknown CPU';
  const body = [
    '<!-- edge-agent:begin (written by `npm run bench:edge`) -->',
    '## Edge agent',
    '',
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpu} (${cpus().length} cores), Node ${process.version}; ` +
      'the agent ran as its own process (`edge-stl edge-agent` through tsx), autocannon in the bench process, ' +
      `${DURATION} s per run; other jobs may have shared the cores.`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '<!-- edge-agent:end -->',
  ].join('\n');
  const re = /<!-- edge-agent:begin[\s\S]*?<!-- edge-agent:end -->/;
  await writeFile(
    path,
    re.test(existing) ? existing.replace(re, body) : `${existing.trimEnd()}\n\n${body}\n`,
  );
}

await main();

/**
 * `npm run bench:operator`: 1,000 jobs and 500 simulated agents heartbeating every 10 s against one
 * operator process (KubeJobStore on the in-process fake kube-apiserver, real Redis, embedded S3).
 * Measures the time for all jobs to reach Serving after creation, heartbeat latency p50/p99 (client
 * side, real HTTP), and the operator's RSS and CPU (from its own /metrics). Prints a table and
 * writes the "Operator" section of docs/performance.md.
 *
 * Env: BENCH_JOBS (1000), BENCH_AGENTS (500), BENCH_SECONDS (60, steady heartbeat phase).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { API_VERSION, KIND, applySchemaDefaults, crdPath, jobSchema } from '../lib/api/v1alpha1/index.js';
import { ensureRedis } from '../lib/infra/index.js';
import { SHA256_METADATA_KEY } from '../lib/storage/layout.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import { startEmbeddedS3 } from '../lib/storage/embedded-s3.js';
import { validateAgainstSchema } from '../lib/validation/index.js';
import { FakeKubeApiServer, type KObj } from '../test/support/fake-kube-apiserver.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const GROUPS = 50;
const TOKEN = 'bench-agent-key-0123456789';
const INTERVAL_MS = 10_000;

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

async function operatorMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** p50/p99 upper bounds from the operator's heartbeat histogram (seconds buckets → ms). */
async function heartbeatHistogram(url: string): Promise<{ p50: number; p99: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = [
    ...text.matchAll(/^edgestl_operator_heartbeat_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm),
  ].map((m) => ({ le: Number(m[1]), n: Number(m[2]) }));
  const total = buckets[buckets.length - 1]?.n ?? 0;
  const at = (p: number): number => (buckets.find((b) => b.n >= total * p)?.le ?? NaN) * 1000;
  return { p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-stl-bench-op-'));
  const redis = await ensureRedis({});
  const s3 = await startEmbeddedS3({ dir: join(dir, 's3') });
  const store = createObjectStore({
    endpoint: s3.endpoint,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
  });
  await store.ensureBucket('bench');
  await store.putObject('bench', 'datasets/train/index.txt', 'a.jpg a.xml\n');
  await store.putObject('bench', 'datasets/test/index.txt', 'b.jpg b.xml\n');
  const model = Buffer.from('bench initial model');
  await store.putObject('bench', 'models/init/model.zip', model, {
    metadata: { [SHA256_METADATA_KEY]: createHash('sha256').update(model).digest('hex') },
  });

  const schema = jobSchema();
  const api = new FakeKubeApiServer({
    crds: [crdPath()],
    validators: { singletasklearningjobs: (o) => validateAgainstSchema(o, schema) },
    defaulters: { singletasklearningjobs: (o) => applySchemaDefaults(schema, o) as KObj },
  });
  const kubeUrl = await api.start();
  api.seed('secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's3', namespace: 'bench' },
    data: {
      accessKey: Buffer.from(s3.accessKey).toString('base64'),
      secretKey: Buffer.from(s3.secretKey).toString('base64'),
    },
  });

  // Agents are known Nodes; their labels come from here, never from their heartbeats.
  for (let i = 0; i < AGENTS; i++)
    api.seed('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `edge-${i}`, labels: { group: `g${i % GROUPS}` } },
    });

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'operator-process.ts')],
    {
      env: {
        ...process.env,
        KUBE_URL: kubeUrl,
        REDIS_URL: redis.url,
        S3_ENDPOINT: s3.endpoint,
        QUEUE_PREFIX: `bench-op-${Date.now()}`,
        EDGE_STL_AGENT_KEY: TOKEN,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const opUrl = await new Promise<string>((resolve, reject) => {
    createInterface(child.stdout!).once('line', (l) => resolve((JSON.parse(l) as { url: string }).url));
    child.once('exit', (c) => reject(new Error(`operator exited ${c}`)));
  });
  const rssIdle = await operatorMetric(opUrl, 'edgestl_operator_process_resident_memory_bytes');

  // Agents (own process): group g<i%50>; each job selects one group, so an agent serves JOBS/GROUPS jobs.
  const agents = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'operator-agents-process.ts')],
    {
      env: {
        ...process.env,
        OP_URL: opUrl,
        AGENT_KEY: TOKEN,
        AGENTS: String(AGENTS),
        INTERVAL_MS: String(INTERVAL_MS),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const agentLines = createInterface(agents.stdout!);
  const nextLine = (): Promise<string> => new Promise((resolve) => agentLines.once('line', resolve));
  await nextLine(); // ready

  // Create the jobs, then wait for all of them to be Serving.
  const created = Date.now();
  const resource = api.resource('singletasklearningjobs');
  for (let j = 0; j < JOBS; j++) {
    api.store.create(
      resource,
      'bench',
      {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: `job-${j}`, namespace: 'bench' },
        spec: {
          initialModel: 's3://bench/models/init/model.zip',
          dataset: {
            trainIndex: 's3://bench/datasets/train/index.txt',
            testIndex: 's3://bench/datasets/test/index.txt',
            classes: ['a'],
          },
          storage: { bucket: 'bench', credentialsSecret: 's3' },
          edge: { nodeSelector: { group: `g${j % GROUPS}` } },
        },
      } as KObj,
      false,
    );
  }
  let serving = 0;
  while (serving < JOBS) {
    await new Promise((r) => setTimeout(r, 200));
    serving = api.store.list(resource, 'bench').filter((o) => o.status?.phase === 'Serving').length;
    if (Date.now() - created > 600_000) throw new Error(`only ${serving}/${JOBS} jobs Serving after 10 min`);
  }
  const toServing = (Date.now() - created) / 1000;

  // Steady state: every agent heartbeats every 10 s for SECONDS; sample the operator's RSS and CPU.
  agents.stdin!.write('measure\n');
  const cpu0 = await operatorMetric(opUrl, 'edgestl_operator_process_cpu_seconds_total');
  const wall0 = Date.now();
  let rssPeak = 0;
  while (Date.now() - wall0 < SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 2000));
    rssPeak = Math.max(
      rssPeak,
      await operatorMetric(opUrl, 'edgestl_operator_process_resident_memory_bytes'),
    );
  }
  const cpu1 = await operatorMetric(opUrl, 'edgestl_operator_process_cpu_seconds_total');
  const cpuPct = ((cpu1 - cpu0) / ((Date.now() - wall0) / 1000)) * 100;
  const rssEnd = await operatorMetric(opUrl, 'edgestl_operator_process_resident_memory_bytes');
  const done = nextLine();
  agents.stdin!.write('stop\n');
  const { latencies, errors } = JSON.parse(await done) as { latencies: number[]; errors: number };
  const server = await heartbeatHistogram(opUrl);
  const synced = api.store
    .list(resource, 'bench')
    .filter((o) =>
      o.status?.conditions?.some(
        (c: { type: string; status: string }) => c.type === 'EdgeSynced' && c.status === 'True',
      ),
    ).length;
  const lat = [...latencies].sort((x, y) => x - y);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await api.close();
  await s3.stop();
  await redis.stop?.();
  await rm(dir, { recursive: true, force: true });

  const mib = (b: number): string => (b / 1048576).toFixed(0);
  const rows: Array<[string, string]> = [
    [
      'jobs / agents / jobs per agent',
      `${JOBS} / ${AGENTS} / ${JOBS / GROUPS} (agents heartbeat every 10 s, ${(AGENTS / 10).toFixed(0)} req/s)`,
    ],
    [
      'time for all jobs to reach Serving after creation',
      `${toServing.toFixed(1)} s (initialModel adopted; Secret, bucket, dataset and model checked per job)`,
    ],
    [
      'heartbeat latency p50 / p99 (client side, keep-alive)',
      `${pct(lat, 50).toFixed(1)} / ${pct(lat, 99).toFixed(1)} ms over ${lat.length} heartbeats, ${errors} errors`,
    ],
    [
      'heartbeat handling in the operator p50 / p99 (histogram buckets)',
      `<= ${server.p50} / <= ${server.p99} ms`,
    ],
    ['jobs with EdgeSynced=True at the end', `${synced} / ${JOBS}`],
    ['operator RSS idle / peak / end', `${mib(rssIdle)} / ${mib(rssPeak)} / ${mib(rssEnd)} MiB`],
    ['operator CPU (steady heartbeat phase)', `${cpuPct.toFixed(1)} % of one core over ${SECONDS} s`],
  ];
  console.log('\n| figure | value |\n|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  await writeSection(rows);
}

/** Replaces (or appends) the Operator section of docs/performance.md. */
async function writeSection(rows: Array<[string, string]>): Promise<void> {
  const path = join(import.meta.dirname, '..', 'docs', 'performance.md');
  const existing = await readFile(path, 'utf8').catch(
    () => '# Performance\n\nFigures from `npm run bench:*` on the machine named in each section.\n',
  );
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const body = [
    '<!-- operator:begin (written by `npm run bench:operator`) -->',
    '## Operator',
    '',
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpu} (${cpus().length} cores), Node ${process.version}; the operator ran as its own process (KubeJobStore on the in-process fake kube-apiserver, BullMQ on local Redis, embedded S3), the 500 simulated agents (plain HTTP heartbeats over keep-alive) in a second process, the fake API server and the embedded S3 in the bench process; other jobs may have shared the cores. Goals: heartbeat p99 <= 20 ms, RSS <= 400 MB.`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '<!-- operator:end -->',
  ].join('\n');
  const re = /<!-- operator:begin[\s\S]*?<!-- operator:end -->/;
  await writeFile(
    path,
    re.test(existing) ? existing.replace(re, body) : `${existing.trimEnd()}\n\n${body}\n`,
  );
}

await main();

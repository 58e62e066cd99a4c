/**
 * `npm run bench:operator`: 1,000 jobs and 500, 2,000 and 5,000 simulated agents heartbeating every
 * 10 s, each scale against a fresh operator process (KubeJobStore on the in-process fake
 * kube-apiserver, real Redis, embedded S3). Measures the time for all jobs to reach Serving after
 * creation, heartbeat latency p50/p99 (client side, real HTTP), and the operator's RSS and CPU (from
 * its own /metrics). Prints one table and writes the "Operator" section of docs/performance.md.
 *
 * Env: BENCH_JOBS (1000), BENCH_AGENTS (500,2000,5000: a comma-separated list of scales),
 * BENCH_SECONDS (60, steady heartbeat phase), BENCH_SCALE_TIMEOUT_S (1200, per scale),
 * BENCH_MEASURE_FROM (`serving`: the steady phase starts once every job is Serving; `synced`: once
 * every job is EdgeSynced too, i.e. after the agents converged).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadFigures, writePerformanceSection } from './performance-doc.js';
import { API_VERSION, KIND, applySchemaDefaults, crdPath, jobSchema } from '../lib/api/v1alpha1/index.js';
import { SHA256_METADATA_KEY } from '../lib/storage/layout.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import { validateAgainstSchema } from '../lib/validation/index.js';
import type { KObj } from '../test/support/fake-kube-apiserver.js';
import { spawnBenchChild, withDeadline, type BenchChild } from './child-processes.js';
import { operatorMetric, startBenchOperator } from './operator-env.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const SCALES = (process.env.BENCH_AGENTS ?? '500,2000,5000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const SCALE_TIMEOUT_MS = Number(process.env.BENCH_SCALE_TIMEOUT_S ?? 1200) * 1000;
const MEASURE_FROM = process.env.BENCH_MEASURE_FROM ?? 'serving';
const GROUPS = 50;
const TOKEN = 'bench-agent-key-0123456789';
const INTERVAL_MS = 10_000;

for (const [name, n] of [
  ['BENCH_JOBS', JOBS],
  ['BENCH_SECONDS', SECONDS],
  ['BENCH_SCALE_TIMEOUT_S', SCALE_TIMEOUT_MS],
  ...SCALES.map((a) => ['BENCH_AGENTS', a] as const),
] as const)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be positive integers`);

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** p50/p99 upper bounds from the operator's heartbeat histogram (seconds buckets → ms). */
async function heartbeatHistogram(url: string): Promise<{ p50: number; p99: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = [
    ...text.matchAll(/^edge_stl_operator_heartbeat_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm),
  ].map((m) => ({ le: Number(m[1]), n: Number(m[2]) }));
  const total = buckets[buckets.length - 1]?.n ?? 0;
  const at = (p: number): number => (buckets.find((b) => b.n >= total * p)?.le ?? NaN) * 1000;
  return { p50: at(0.5), p99: at(0.99) };
}

interface ScaleResult {
  agents: number;
  toServing: number;
  latencies: number[];
  errors: number;
  server: { p50: number; p99: number };
  synced: number;
  rss: { idle: number; peak: number; end: number };
  cpuPct: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One scale: a fresh operator, `agents` agents, JOBS jobs; everything is stopped at the end. */
async function runScale(agents: number): Promise<ScaleResult> {
  const schema = jobSchema();
  const env = await startBenchOperator({
    name: 'op',
    agentKey: TOKEN,
    api: {
      crds: [crdPath()],
      validators: { singletasklearningjobs: (o) => validateAgainstSchema(o, schema) },
      defaulters: { singletasklearningjobs: (o) => applySchemaDefaults(schema, o) as KObj },
    },
    seed: async (api, s3) => {
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
      for (let i = 0; i < agents; i++)
        api.seed('nodes', {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: `edge-${i}`, labels: { group: `g${i % GROUPS}` } },
        });
    },
  });
  let fleet: BenchChild | null = null;
  try {
    const { api, url } = env;
    const rssIdle = await operatorMetric(url, 'edge_stl_operator_process_resident_memory_bytes');
    // Agents (own process): group g<i%50>; each job selects one group, so an agent serves JOBS/GROUPS jobs.
    const latenciesFile = join(env.dir, 'latencies.txt');
    fleet = spawnBenchChild('operator-agents-process.ts', {
      OP_URL: url,
      AGENT_KEY: TOKEN,
      AGENTS: String(agents),
      INTERVAL_MS: String(INTERVAL_MS),
      LATENCIES_FILE: latenciesFile,
    });
    await fleet.nextLine(60_000); // ready

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
    const edgeSynced = (): number =>
      api.store
        .list(resource, 'bench')
        .filter((o) =>
          o.status?.conditions?.some(
            (c: { type: string; status: string }) => c.type === 'EdgeSynced' && c.status === 'True',
          ),
        ).length;
    let serving = 0;
    while (serving < JOBS) {
      await sleep(200);
      serving = api.store.list(resource, 'bench').filter((o) => o.status?.phase === 'Serving').length;
      if (Date.now() - created > 600_000)
        throw new Error(`only ${serving}/${JOBS} jobs Serving after 10 min`);
    }
    const toServing = (Date.now() - created) / 1000;
    // BENCH_MEASURE_FROM=synced: leave the agents' convergence (and its reconciles) out of the steady phase.
    while (MEASURE_FROM === 'synced' && edgeSynced() < JOBS) {
      await sleep(500);
      if (Date.now() - created > 900_000) throw new Error(`only ${edgeSynced()}/${JOBS} jobs EdgeSynced`);
    }

    // Steady state: every agent heartbeats every 10 s for SECONDS; sample the operator's RSS and CPU.
    fleet.process.stdin!.write('measure\n');
    const cpu0 = await operatorMetric(url, 'edge_stl_operator_process_cpu_seconds_total');
    const wall0 = Date.now();
    let rssPeak = 0;
    while (Date.now() - wall0 < SECONDS * 1000) {
      await sleep(2000);
      rssPeak = Math.max(
        rssPeak,
        await operatorMetric(url, 'edge_stl_operator_process_resident_memory_bytes'),
      );
    }
    const cpu1 = await operatorMetric(url, 'edge_stl_operator_process_cpu_seconds_total');
    const cpuPct = ((cpu1 - cpu0) / ((Date.now() - wall0) / 1000)) * 100;
    const rssEnd = await operatorMetric(url, 'edge_stl_operator_process_resident_memory_bytes');
    fleet.process.stdin!.write('stop\n');
    const { errors } = JSON.parse(await fleet.nextLine(2 * INTERVAL_MS + 30_000)) as { errors: number };
    const latencies = (await readFile(latenciesFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .sort((x, y) => x - y);
    const server = await heartbeatHistogram(url);
    const synced = edgeSynced();
    return {
      agents,
      toServing,
      latencies,
      errors,
      server,
      synced,
      rss: { idle: rssIdle, peak: rssPeak, end: rssEnd },
      cpuPct,
    };
  } finally {
    await fleet?.stop();
    await env.close();
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const results: ScaleResult[] = [];
  for (const agents of SCALES) {
    console.log(`bench:operator: ${JOBS} jobs, ${agents} agents`);
    results.push(await withDeadline(runScale(agents), SCALE_TIMEOUT_MS, `${agents} agents`));
  }
  const loadAfter = loadavg();
  const mib = (b: number): string => (b / 1048576).toFixed(0);
  const rows: Array<[string, ...string[]]> = [
    ['agents (heartbeat every 10 s)', ...results.map((r) => `${r.agents} (${r.agents / 10} req/s)`)],
    ['jobs / jobs per agent', ...results.map(() => `${JOBS} / ${JOBS / GROUPS}`)],
    [
      'time for all jobs to reach Serving after creation',
      ...results.map((r) => `${r.toServing.toFixed(1)} s`),
    ],
    [
      'heartbeat latency p50 / p99 (client side, keep-alive)',
      ...results.map(
        (r) =>
          `${pct(r.latencies, 50).toFixed(1)} / ${pct(r.latencies, 99).toFixed(1)} ms (${r.latencies.length} heartbeats, ${r.errors} errors)`,
      ),
    ],
    [
      'heartbeat handling in the operator p50 / p99 (histogram buckets)',
      ...results.map((r) => `<= ${r.server.p50} / <= ${r.server.p99} ms`),
    ],
    ['jobs with EdgeSynced=True at the end', ...results.map((r) => `${r.synced} / ${JOBS}`)],
    [
      'operator RSS idle / peak / end',
      ...results.map((r) => `${mib(r.rss.idle)} / ${mib(r.rss.peak)} / ${mib(r.rss.end)} MiB`),
    ],
    [
      `operator CPU (steady phase, ${SECONDS} s)`,
      ...results.map((r) => `${r.cpuPct.toFixed(1)} % of one core`),
    ],
  ];
  const table = [
    `| figure | ${results.map((r) => `${r.agents} agents`).join(' | ')} |`,
    `|---|${results.map(() => '---|').join('')}`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
  console.log(`\n${table.join('\n')}`);
  const load = `${loadFigures(loadBefore)} before, ${loadFigures(loadAfter)} after`;
  console.log(`load average (1/5/15 min) ${load}`);
  await writePerformanceSection({
    id: 'operator',
    command: 'npm run bench:operator',
    heading: 'Operator',
    setup:
      'The operator ran as its own process (KubeJobStore on the in-process fake kube-apiserver, BullMQ on local Redis, embedded S3), a fresh operator per scale; the simulated agents (plain HTTP heartbeats over keep-alive) in a second process, the fake API server and the embedded S3 in the bench process. Goals at 5,000 agents: heartbeat p99 <= 20 ms, RSS <= 600 MB.',
    load,
    lines: table,
  });
}

try {
  await main();
} catch (err) {
  console.error('bench:operator failed:', (err as Error).message);
  process.exit(1); // ends the child processes too (see child-processes.ts)
}

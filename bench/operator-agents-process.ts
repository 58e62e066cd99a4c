/**
 * Simulated edge agents for `npm run bench:operator`, in their own process so that the latency they
 * measure is not inflated by the fake API server sharing their event loop. Env: OP_URL, AGENT_KEY,
 * AGENTS, INTERVAL_MS, LATENCIES_FILE (node labels live on the Node objects the bench seeds).
 * stdin commands: `measure` starts recording; `stop` writes the latencies (ms, one a line) to
 * LATENCIES_FILE, prints one JSON line `{ count, errors }` and exits. Exits too when stdin closes.
 */
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { HeartbeatReply, HeartbeatRequest } from '../lib/protocol/heartbeat.js';
import { heartbeatPath } from '../lib/protocol/heartbeat.js';
import { mintNodeToken } from '../operator/coordination/tokens.js';

const env = process.env;
const AGENTS = Number(env.AGENTS);
const INTERVAL_MS = Number(env.INTERVAL_MS);
const target = new URL(env.OP_URL!);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const latencies: number[] = [];
let errors = 0;
let measuring = false;
let running = true;

function post(node: string, path: string, payload: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${mintNodeToken(env.AGENT_KEY!, node)}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const state = Array.from({ length: AGENTS }, (_, i) => ({
  node: `edge-${i}`,
  jobs: new Map<string, { ns: string; name: string; v: string | null }>(),
}));

async function beat(a: (typeof state)[number]): Promise<void> {
  const body: HeartbeatRequest = {
    node: a.node,
    jobs: [...a.jobs.values()].map((j) => ({
      job: { namespace: j.ns, name: j.name },
      activeModel: j.v,
      targetModel: null,
      modelState: 'Loaded',
      samplesQueued: 0,
      samplesUploaded: 0,
      samplesDropped: 0,
      inferences: 0,
      inferenceErrors: 0,
    })),
  };
  const t0 = performance.now();
  try {
    const res = await post(a.node, heartbeatPath(a.node), JSON.stringify(body));
    if (measuring) latencies.push(performance.now() - t0);
    if (res.status !== 200) {
      errors++;
      return;
    }
    for (const d of (JSON.parse(res.body) as HeartbeatReply).jobs) {
      const key = `${d.job.namespace}/${d.job.name}`;
      if (d.drop) a.jobs.delete(key);
      else a.jobs.set(key, { ns: d.job.namespace, name: d.job.name, v: d.model?.version ?? null });
    }
  } catch {
    errors++;
  }
}

const loops = state.map(async (a, i) => {
  await new Promise((r) => setTimeout(r, (i * INTERVAL_MS) / AGENTS)); // spread over the interval
  while (running) {
    const next = Date.now() + INTERVAL_MS;
    await beat(a);
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
});

createInterface(process.stdin)
  .on('line', (line) => {
    if (line === 'measure') {
      measuring = true;
      errors = 0;
    }
    if (line === 'stop') {
      running = false;
      measuring = false;
      void Promise.all(loops).then(() => {
        // A file, not stdout: 30,000 latencies are more than a pipe takes before process.exit().
        writeFileSync(env.LATENCIES_FILE!, latencies.map((ms) => ms.toFixed(3)).join('\n'));
        console.log(JSON.stringify({ count: latencies.length, errors }));
        agent.destroy();
        process.exit(0);
      });
    }
  })
  .on('close', () => {
    if (running) process.exit(1); // the bench went away without `stop`
  });
console.log(JSON.stringify({ ready: true }));

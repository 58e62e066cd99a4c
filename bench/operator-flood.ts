/**
 * `node --import tsx bench/operator-flood.ts`: the issue-13 attacks on a running operator process
 * (fake kube-apiserver, real Redis, embedded S3): made-up nodes with 50 KB reasons, then one real
 * node flooding with oversized reports. Prints the answers by status, the operator's RSS before and
 * after (from its /metrics), and how many nodes it remembers. Env: FLOOD_NODES (3000).
 */
import { randomBytes } from 'node:crypto';
import { crdPath } from '../lib/api/v1alpha1/index.js';
import { heartbeatPath } from '../lib/protocol/heartbeat.js';
import { mintNodeToken } from '../operator/coordination/tokens.js';
import { operatorMetric, startBenchOperator } from './operator-env.js';

const NODES = Number(process.env.FLOOD_NODES ?? 3000);
const KEY = 'flood-agent-key-0123456789';

const rssMb = async (url: string): Promise<number> =>
  (await operatorMetric(url, 'edge_stl_operator_process_resident_memory_bytes')) / 2 ** 20;

function report(node: string, reasonBytes: number, uploaded: number): string {
  const job = { namespace: 'default', name: 'j' };
  const counters = {
    samplesQueued: 0,
    samplesUploaded: uploaded,
    samplesDropped: 0,
    inferences: 0,
    inferenceErrors: 0,
  };
  const reason = 'x'.repeat(reasonBytes);
  return JSON.stringify({
    node,
    jobs: [{ job, activeModel: 'v0', targetModel: null, modelState: 'Loaded', reason, ...counters }],
  });
}

async function flood(
  url: string,
  calls: Array<{ node: string; token: string; body: string }>,
): Promise<Record<number, number>> {
  const byStatus: Record<number, number> = {};
  for (let i = 0; i < calls.length; i += 50) {
    const statuses = await Promise.all(
      calls.slice(i, i + 50).map(async ({ node, token, body }) => {
        const res = await fetch(url + heartbeatPath(node), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body,
        }).catch(() => null);
        await res?.arrayBuffer();
        return res?.status ?? 0;
      }),
    );
    for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1;
  }
  return byStatus;
}

async function main(): Promise<void> {
  const env = await startBenchOperator({
    name: 'flood',
    agentKey: KEY,
    api: { crds: [crdPath()] },
    seed: (api) => {
      api.seed('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'real-node', labels: {} } });
    },
  });
  try {
    await attack(env.url);
  } finally {
    await env.close();
  }
}

async function attack(url: string): Promise<void> {
  const before = await rssMb(url);
  const fake = Array.from({ length: NODES }, () => {
    const node = `fake-${randomBytes(6).toString('hex')}`;
    return { node, token: randomBytes(32).toString('base64url'), body: report(node, 50_000, 999_999_999) };
  });
  const fakeStatuses = await flood(url, fake);
  const ownToken = mintNodeToken(KEY, 'real-node');
  const real = Array.from({ length: 300 }, () => ({
    node: 'real-node',
    token: ownToken,
    body: report('real-node', 50_000, 999_999_999),
  }));
  const realStatuses = await flood(url, real);
  const after = await rssMb(url);
  await new Promise((r) => setTimeout(r, 6000)); // the agents gauge is refreshed every 5 s
  const agents = await (await fetch(`${url}/metrics`)).text();
  const remembered = [...agents.matchAll(/^edge_stl_operator_agents\{state="(\w+)"\} (\d+)$/gm)].map(
    (m) => `${m[1]}=${m[2]}`,
  );
  console.log(`| attack | answers | operator RSS |`);
  console.log(`|---|---|---|`);
  console.log(
    `| ${NODES} made-up nodes, 50 KB reasons | ${JSON.stringify(fakeStatuses)} | ${before.toFixed(0)} MB before |`,
  );
  console.log(
    `| 300 oversized reports from one real node | ${JSON.stringify(realStatuses)} | ${after.toFixed(0)} MB after |`,
  );
  console.log(`agents remembered: ${remembered.join(', ') || 'none'}`);
}

try {
  await main();
} catch (err) {
  console.error('operator-flood failed:', (err as Error).message);
  process.exit(1); // ends the child processes too (see child-processes.ts)
}

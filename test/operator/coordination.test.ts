import { NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { SimAgent } from './support/sim-agent.js';
import { waitFor } from './support/wait.js';

/** The coordination API: agent auth, selection by node labels, drop, metrics and probes. */
describe('coordination API', () => {
  let env: OperatorEnv;

  beforeAll(async () => {
    env = await startOperatorEnv('coord');
    env.api.seed('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'agent-tokens', namespace: NS },
      stringData: { 'node-1': 'token-of-node-1' },
    });
    env.api.seed('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', labels: { line: 'k' } },
    });
    await env.startOperator({
      agentAuth: { sharedToken: 'shared', tokensSecret: { namespace: NS, name: 'agent-tokens' } },
    });
    env.createJob('coord', {
      edge: {
        nodeSelector: { line: 'k' },
        sampling: { strategy: 'random', randomRate: 0.25, maxPerMinute: 7 },
      },
    });
    await waitFor('serving', () => env.job('coord')?.status?.phase === 'Serving', 20_000);
  });
  afterAll(async () => {
    await env.close();
  });

  const url = (): string => env.operators[0].coordinationUrl;

  it('accepts the node’s own token or the shared one, and refuses others', async () => {
    expect(await new SimAgent('node-1', undefined, url, 'token-of-node-1').beat()).toBe(200);
    expect(await new SimAgent('node-1', undefined, url, 'shared').beat()).toBe(200);
    expect(await new SimAgent('node-2', undefined, url, 'token-of-node-1').beat()).toBe(401);
    expect(await new SimAgent('node-1', undefined, url, 'wrong').beat()).toBe(401);
    const res = await fetch(`${url()}/v1/agents/node-1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer shared' },
      body: JSON.stringify({ node: 'node-1' }),
    });
    expect(res.status).toBe(400); // schema: jobs is required
  });

  it('selects jobs by the Node object’s labels when the agent sends none, with model, sha256 and sampling', async () => {
    const a = new SimAgent('node-1', undefined, url, 'token-of-node-1');
    expect(await a.beat()).toBe(200);
    const d = a.lastReply!.jobs.find((j) => j.job.name === 'coord')!;
    expect(d).toMatchObject({
      drop: false,
      sampling: { strategy: 'random', randomRate: 0.25, maxPerMinute: 7 },
      storage: { bucket: env.bucket },
      model: { version: 'v0' },
    });
    expect(d.model!.sha256).toBe(env.job('coord')!.status!.currentModel!.sha256);
    expect(d.model!.url).toMatch(/X-Amz-Signature=/);
    expect(a.lastReply!.heartbeatIntervalSeconds).toBe(1);
    expect(await (await fetch(d.model!.url)).text()).toMatch(/^model default\/coord r0/);
  });

  it('tells an agent to drop a job that no longer exists or no longer selects it', async () => {
    const a = new SimAgent('node-3', { line: 'other' }, url, 'shared');
    a.jobs.set(`${NS}/coord`, {
      job: { namespace: NS, name: 'coord' },
      active: 'v0',
      target: null,
      state: 'Loaded',
      uploaded: 0,
    });
    a.jobs.set(`${NS}/ghost`, {
      job: { namespace: NS, name: 'ghost' },
      active: 'v0',
      target: null,
      state: 'Loaded',
      uploaded: 0,
    });
    expect(await a.beat()).toBe(200);
    expect(a.lastReply!.jobs.map((j) => [j.job.name, j.drop]).sort()).toEqual([
      ['coord', true],
      ['ghost', true],
    ]);
    expect(a.jobs.size).toBe(0);
  });

  it('aggregates heartbeats into status.edgeNodes and serves probes and metrics', async () => {
    const a = new SimAgent('node-4', { line: 'k' }, url, 'shared');
    a.start(100);
    await waitFor('node-4 synced in status', () =>
      env
        .job('coord')
        ?.status?.edgeNodes?.find(
          (n) => n.name === 'node-4' && n.modelVersion === 'v0' && n.state === 'Online',
        ),
    );
    a.stop();
    expect((await fetch(`${url()}/healthz`)).status).toBe(200);
    expect((await fetch(`${url()}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${url()}/metrics`)).text();
    for (const m of [
      'edgestl_operator_reconciles_total',
      'edgestl_operator_reconcile_duration_seconds_bucket',
      'edgestl_operator_heartbeat_duration_seconds_count',
      'edgestl_operator_leader 1',
    ])
      expect(metrics).toContain(m);
  });
});

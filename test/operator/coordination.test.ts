import { randomBytes } from 'node:crypto';
import { heartbeatPath, sampleUrlsPath, type SampleUrlsReply } from '../../lib/protocol/heartbeat.js';
import { mintNodeToken } from '../../operator/coordination/tokens.js';
import { AGENT_KEY, NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { SimAgent } from './support/sim-agent.js';
import { waitFor } from './support/wait.js';

/**
 * The coordination API: node identity proved by a per-node token, labels from the Node object,
 * bounded reports, rate limits, presigned sample URLs scoped to the node, metrics and probes.
 */
describe('coordination API', () => {
  let env: OperatorEnv;

  beforeAll(async () => {
    env = await startOperatorEnv('coord');
    env.api.seed('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'agent-tokens', namespace: NS },
      stringData: { 'node-s': 'token-of-node-s' },
    });
    for (const [name, line] of [
      ['node-1', 'k'],
      ['node-s', 'k'],
      ['node-3', 'other'],
      ['node-4', 'k'],
      ['node-5', 'other'],
      ['node-6', 'k'],
      ['node-err', 'k'],
      ['node-7', 'k'],
      ['node-8', 'k'],
      ['constructor', 'k'],
    ])
      env.node(name, { line });
    await env.startOperator({
      agentAuth: { nodeKey: AGENT_KEY, tokensSecret: { namespace: NS, name: 'agent-tokens' } },
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
  const token = (node: string): string => mintNodeToken(AGENT_KEY, node);
  const post = (path: string, bearer: string, body: unknown): Promise<Response> =>
    fetch(`${url()}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
  const beat = async (node: string, bearer: string, body: unknown): Promise<number> => {
    const res = await post(heartbeatPath(node), bearer, body);
    await res.arrayBuffer();
    return res.status;
  };

  it('accepts a node’s own token only: another node’s token, a wrong one or none is 401', async () => {
    expect(await new SimAgent('node-1', url, token('node-1')).beat()).toBe(200);
    expect(await new SimAgent('node-s', url, 'token-of-node-s').beat()).toBe(200);
    // Forged node: node-1's token does not make its holder node-4.
    expect(await new SimAgent('node-4', url, token('node-1')).beat()).toBe(401);
    expect(await new SimAgent('node-4', url, 'token-of-node-s').beat()).toBe(401);
    expect(await new SimAgent('node-1', url, 'wrong').beat()).toBe(401);
    expect(await beat('node-1', '', { node: 'node-1', jobs: [] })).toBe(401);
    expect(await beat('node-1', token('node-1'), { node: 'node-1' })).toBe(400); // jobs is required
  });

  it('looks tokens up by own property: __proto__ and constructor are a clean 401', async () => {
    for (const node of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
      for (const bearer of ['x', '[object Object]', 'function Object() { [native code] }'])
        expect(await beat(node, bearer, { node, jobs: [] })).toBe(401);
  });

  it('refuses a node with a valid token but no Node object', async () => {
    expect(await new SimAgent('ghost-node', url, token('ghost-node')).beat()).toBe(403);
    expect(env.operators[0].registry.labelsOf('ghost-node')).toBeUndefined();
  });

  it('answers errors with the shared body: a code and a message', async () => {
    const refused = async (res: Response) => ({ status: res.status, body: await res.json() });
    const body = { node: 'node-err', jobs: [] };
    expect(await refused(await post(heartbeatPath('node-err'), 'wrong', body))).toEqual({
      status: 401,
      body: { error: 'UNAUTHORIZED', message: 'invalid token for this node' },
    });
    expect(await refused(await post(heartbeatPath('ghost-node'), token('ghost-node'), body))).toEqual({
      status: 403,
      body: { error: 'UNKNOWN_NODE', message: 'no Node object of this name' },
    });
    expect(
      await refused(await post(heartbeatPath('node-err'), token('node-err'), { node: 'node-1', jobs: [] })),
    ).toEqual({
      status: 400,
      body: { error: 'NODE_MISMATCH', message: 'body.node differs from the URL' },
    });
    expect(
      await refused(await post(heartbeatPath('node-err'), token('node-err'), { node: 'node-err' })),
    ).toEqual({
      status: 400,
      body: { error: 'BAD_REQUEST', message: expect.stringContaining('jobs') },
    });
    const job = { namespace: NS, name: 'no-such-job' };
    expect(
      await refused(await post(sampleUrlsPath('node-err'), token('node-err'), { job, id: 'abc' })),
    ).toEqual({
      status: 404,
      body: { error: 'JOB_NOT_FOUND', message: 'no job of that name selects this node' },
    });
    const unknownRoute = await fetch(`${url()}/v1/nowhere`);
    expect(await refused(unknownRoute)).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: 'no such route' },
    });
  });

  it('takes labels from the Node object, never from the agent (forged labels)', async () => {
    // node-5's Node says line=other; claiming line=k in the heartbeat gets it nothing.
    const forged = { node: 'node-5', labels: { line: 'k' }, jobs: [] };
    const res = await post(heartbeatPath('node-5'), token('node-5'), forged);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { jobs: unknown[] }).jobs).toEqual([]);
    expect(env.operators[0].registry.labelsOf('node-5')).toEqual({ line: 'other' });
  });

  it('selects jobs by the Node object’s labels, with model, sha256 and sampling', async () => {
    const a = new SimAgent('node-1', url, token('node-1'));
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
    const a = new SimAgent('node-3', url, token('node-3'));
    for (const name of ['coord', 'ghost'])
      a.jobs.set(`${NS}/${name}`, {
        job: { namespace: NS, name },
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

  it('refuses oversized reports and accepts counters only as bounded increments', async () => {
    const report = (reason: string, uploaded: number): unknown => ({
      node: 'node-6',
      jobs: [
        {
          job: { namespace: NS, name: 'coord' },
          activeModel: 'v0',
          targetModel: null,
          modelState: 'Loaded',
          reason,
          samplesQueued: 0,
          samplesUploaded: uploaded,
          samplesDropped: 0,
          inferences: 1,
          inferenceErrors: 0,
        },
      ],
    });
    expect(await beat('node-6', token('node-6'), report('x'.repeat(50_000), 1))).toBe(400);
    const tooManyJobs = {
      node: 'node-6',
      jobs: Array.from({ length: 65 }, (_, i) => ({
        ...(report('', 0) as { jobs: object[] }).jobs[0],
        job: { namespace: NS, name: `j${i}` },
      })),
    };
    expect(await beat('node-6', token('node-6'), tooManyJobs)).toBe(400);
    // A body far beyond any heartbeat is cut off before it is parsed.
    expect(
      await beat('node-6', token('node-6'), { node: 'node-6', jobs: [], pad: 'y'.repeat(200_000) }),
    ).toBe(413);

    expect(await beat('node-6', token('node-6'), report('fine', 999_999_999))).toBe(200);
    expect(await beat('node-6', token('node-6'), report('fine', 999_999_999 + 5))).toBe(200);
    const node6 = await waitFor('node-6 in status', () =>
      env.job('coord')?.status?.edgeNodes?.find((n) => n.name === 'node-6' && n.samplesUploaded === 10_005),
    );
    expect(node6.samplesUploaded).toBe(10_005); // the ceiling, then the honest +5
    expect(env.job('coord')!.status!.samples!.uploaded).toBeLessThan(20_000);
  });

  it('turns a flood of made-up nodes away without remembering them', async () => {
    const registry = env.operators[0].registry;
    const before = registry.size;
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(
        Array.from({ length: 100 }, () => {
          const node = `fake-${randomBytes(6).toString('hex')}`;
          return beat(node, randomBytes(32).toString('base64url'), { node, jobs: [] });
        }),
      );
      for (const s of results) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    expect([...statuses.entries()]).toEqual([[401, 1000]]);
    expect(registry.size).toBe(before);
  });

  it('rate-limits each node on its own', async () => {
    const a = new SimAgent('node-7', url, token('node-7'));
    const statuses = await Promise.all(Array.from({ length: 60 }, () => a.beat()));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    // Another node is not slowed down by node-7.
    expect(await new SimAgent('node-8', url, token('node-8')).beat()).toBe(200);
  });

  it('hands out presigned PUT URLs for the node’s own prefix only (other node’s prefix)', async () => {
    const id = randomBytes(32).toString('hex');
    const res = await post(sampleUrlsPath('node-1'), token('node-1'), {
      job: { namespace: NS, name: 'coord' },
      id,
    });
    expect(res.status).toBe(200);
    const urls = (await res.json()) as SampleUrlsReply;
    expect(new URL(urls.image).pathname).toBe(`/${env.bucket}/samples/${NS}/coord/node-1/${id}.jpeg`);
    expect((await fetch(urls.image, { method: 'PUT', body: 'jpeg bytes' })).status).toBe(200);
    expect((await env.store.getBuffer(env.bucket, `samples/${NS}/coord/node-1/${id}.jpeg`)).toString()).toBe(
      'jpeg bytes',
    );

    // The URL is good for its own key only: pointed at node-4's prefix or at models/, it is refused.
    for (const path of [`samples/${NS}/coord/node-4/${id}.jpeg`, `models/${NS}/coord/v0/model.zip`]) {
      const moved = new URL(urls.image);
      moved.pathname = `/${env.bucket}/${path}`;
      const put = await fetch(moved, { method: 'PUT', body: 'overwrite' });
      expect(put.status).toBe(403);
    }
    expect(await env.store.stat(env.bucket, `samples/${NS}/coord/node-4/${id}.jpeg`)).toBeNull();

    // Nor can node-1 ask for node-4's URLs, name a job that does not select it, or smuggle a path.
    expect(
      (await post(sampleUrlsPath('node-4'), token('node-1'), { job: { namespace: NS, name: 'coord' }, id }))
        .status,
    ).toBe(401);
    expect(
      (await post(sampleUrlsPath('node-3'), token('node-3'), { job: { namespace: NS, name: 'coord' }, id }))
        .status,
    ).toBe(404);
    expect(
      (
        await post(sampleUrlsPath('node-1'), token('node-1'), {
          job: { namespace: NS, name: 'coord' },
          id: '../../models/x',
        })
      ).status,
    ).toBe(400);
  });

  it('aggregates heartbeats into status.edgeNodes and serves probes and metrics', async () => {
    const a = new SimAgent('node-4', url, token('node-4'));
    a.start(300);
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
      'edge_stl_operator_reconciles_total',
      'edge_stl_operator_reconcile_duration_seconds_bucket',
      'edge_stl_operator_heartbeat_duration_seconds_count',
      'edge_stl_operator_leader 1',
    ])
      expect(metrics).toContain(m);
  });
});

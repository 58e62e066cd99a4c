import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesiredJob, HeartbeatReply } from '../../lib/protocol/index.js';
import { modelKey } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import type { RunningEdgeAgent } from '../../edge-agent/server.js';
import { testStore, uniqueBucket } from '../support/env.js';
import { corruptZip, registerThrowingModel, throwingModelZip, traversalZip } from './support/bad-models.js';
import {
  infer,
  removeTempDirs,
  startFakeOperator,
  startTestAgent,
  tempDir,
  testImage,
  waitFor,
  type FakeOperator,
} from './support/agent-harness.js';
import { tinyModelZip } from './support/tiny-model.js';

const JOB = { namespace: 'factory', name: 'pcb' };
const SAMPLING = { strategy: 'all' as const, thresholdImg: 0.5, thresholdBox: 0.5, maxPerMinute: 0 };
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let store: ObjectStore;
let bucket: string;
let operator: FakeOperator;
let running: RunningEdgeAgent;
let dataDir: string;
const published = new Map<string, { url: string; sha256: string }>();

/** Puts `bytes` at the job's model key for `round` and returns its presigned URL and sha256. */
async function publish(round: number, bytes: Buffer): Promise<{ url: string; sha256: string }> {
  await store.putObject(bucket, modelKey(JOB.namespace, JOB.name, round), bytes);
  const entry = {
    url: await store.presignedGetUrl(bucket, modelKey(JOB.namespace, JOB.name, round)),
    sha256: sha256(bytes),
  };
  published.set(`v${round}`, entry);
  return entry;
}

function reply(version: string, override: Partial<{ sha256: string }> = {}): HeartbeatReply {
  const p = published.get(version)!;
  const job: DesiredJob = {
    job: JOB,
    model: { version, url: p.url, sha256: override.sha256 ?? p.sha256 },
    sampling: SAMPLING,
    storage: { bucket },
    drop: false,
  };
  return { jobs: [job], heartbeatIntervalSeconds: 1 };
}

const lastReport = () => operator.heartbeats.at(-1)?.jobs.find((j) => j.job.name === JOB.name);

beforeAll(async () => {
  registerThrowingModel();
  store = testStore();
  bucket = uniqueBucket('edge-agent-models');
  await store.ensureBucket(bucket);
  const work = await tempDir('edge-agent-bad-models');
  const good1 = await tinyModelZip(1);
  const good2 = await tinyModelZip(2); // one after the other: two trainings must not share the TF engine at once
  await publish(1, await readFile(good1.path));
  await publish(2, await readFile(good2.path));
  await publish(10, corruptZip());
  await publish(11, await readFile(good2.path)); // served with a wrong sha256 below
  await publish(12, await traversalZip());
  await publish(13, await throwingModelZip(work));
  operator = await startFakeOperator(reply('v1'));
  dataDir = await tempDir('edge-agent-updates');
  running = await startTestAgent({
    dataDir,
    operatorUrl: operator.url,
    operatorToken: 'node-token',
    job: JOB,
  });
  await waitFor(
    () => lastReport()?.activeModel === 'v1' && lastReport()?.modelState === 'Loaded',
    30_000,
    'v1 loaded',
  );
});
afterAll(async () => {
  await running?.close();
  await operator?.close();
  await removeTempDirs();
});

describe('model updates', () => {
  it('installs the desired model from a presigned URL and reports it with the node token', async () => {
    expect(operator.authorization.at(-1)).toBe('Bearer node-token');
    const res = await infer(running.url, await testImage(1));
    expect(res.status).toBe(200);
    expect(res.body.model).toEqual({ job: 'factory/pcb', version: 'v1' });
  });

  it.each([
    ['a corrupt zip', 'v10', {}, /invalid model package/],
    ['a wrong sha256', 'v11', { sha256: 'f'.repeat(64) }, /sha256 mismatch/],
    ['a path-traversal zip', 'v12', {}, /invalid model package: .*(traversal|Unsafe)/i],
    ['a model that throws', 'v13', {}, /threw on the test image/],
  ])(
    'refuses %s, reports FailedToLoad with the reason, and the old model keeps serving',
    async (_what, version, override, reason) => {
      operator.setReply(reply(version, override));
      await waitFor(
        () => lastReport()?.targetModel === version && lastReport()?.modelState === 'FailedToLoad',
        30_000,
        `${version} refused`,
      );
      expect(lastReport()).toMatchObject({
        activeModel: 'v1',
        modelState: 'FailedToLoad',
        reason: expect.stringMatching(reason),
      });
      const res = await infer(running.url, await testImage(2));
      expect(res.status).toBe(200);
      expect(res.body.model).toEqual({ job: 'factory/pcb', version: 'v1' });
      const modelDirs = await readdir(join(dataDir, 'models', 'factory_pcb'));
      expect(modelDirs).toEqual(['v1']); // nothing of the refused version stays
      expect(await readdir(dataDir)).not.toContain('evil.txt');
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toContain('edge_stl_agent_model_state{job="factory/pcb",node="edge-1"} 3');
      expect(metrics).toContain('edge_stl_agent_model_info{job="factory/pcb",version="v1",node="edge-1"} 1');
      expect(metrics).toMatch(
        /edge_stl_agent_model_installs_total\{job="factory\/pcb",result="failed",node="edge-1"\} [1-4]/,
      );
    },
  );

  it('hot-swaps to v2 while 4 clients keep sending: none fails, and new requests get v2', async () => {
    const images = await Promise.all([20, 21, 22, 23].map((i) => testImage(i)));
    let swapped = false;
    const seen: string[][] = [[], [], [], []];
    const failures: unknown[] = [];
    const client = async (i: number) => {
      let afterSwap = 0;
      while (afterSwap < 3) {
        const res = await infer(running.url, images[i]);
        if (res.status !== 200) failures.push(res);
        seen[i].push((res.body.model as { version: string }).version);
        if (swapped) afterSwap += 1;
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await new Promise((r) => setTimeout(r, 300));
    operator.setReply(reply('v2'));
    await waitFor(
      () => lastReport()?.activeModel === 'v2' && lastReport()?.modelState === 'Loaded',
      30_000,
      'v2 loaded',
    );
    swapped = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    for (const versions of seen) {
      expect(versions[0]).toBe('v1');
      expect(versions.at(-1)).toBe('v2');
      expect(versions.lastIndexOf('v1')).toBeLessThan(versions.indexOf('v2')); // never back to v1
    }
    // The previous version stays on disk for rollback.
    await waitFor(
      async () => (await readdir(join(dataDir, 'models', 'factory_pcb'))).sort().join() === 'v1,v2',
      5000,
      'v1 kept',
    );
  });

  it('after a restart with the operator gone, serves the last good model and the last sampling from disk', async () => {
    await running.close();
    await operator.close();
    const state = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8'));
    expect(state.jobs['factory/pcb']).toMatchObject({
      active: { version: 'v2' },
      previous: { version: 'v1' },
      desired: { sampling: SAMPLING },
    });
    await rm(join(dataDir, 'outbox'), { recursive: true, force: true });

    running = await startTestAgent({
      dataDir,
      operatorUrl: operator.url,
      job: JOB,
      sampling: { strategy: 'none' },
    });
    const res = await infer(running.url, await testImage(30));
    expect(res.status).toBe(200);
    expect(res.body.model).toEqual({ job: 'factory/pcb', version: 'v2' });
    // Sampling came from the persisted desired state (all, into the job's bucket), not from the flags (none).
    const committed = async () => (await readdir(join(dataDir, 'outbox'))).filter((f) => f.endsWith('.json'));
    await waitFor(async () => (await committed()).length === 1, 5000, 'sample kept');
    const [json] = await committed();
    expect(JSON.parse(await readFile(join(dataDir, 'outbox', json), 'utf8'))).toMatchObject({
      bucket,
      job: JOB,
      model: { version: 'v2' },
    });
    await waitFor(
      async () =>
        /edge_stl_agent_heartbeat_failures_total\{node="edge-1"\} [1-9]/.test(
          await (await fetch(`${running.url}/metrics`)).text(),
        ),
      5000,
      'heartbeat failure counted',
    );
  });
  it('drops a serving job only when the operator says so twice, some seconds apart', async () => {
    await running.close();
    const confirmMs = 2000;
    const keep = reply('v2');
    const drop: HeartbeatReply = { ...keep, jobs: [{ ...keep.jobs[0], drop: true }] };
    const dropping = await startFakeOperator(keep);
    const serves = async (): Promise<void> => {
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
      expect((await infer(running.url, await testImage(40))).status).toBe(200);
      expect(await readdir(join(dataDir, 'models'))).not.toEqual([]);
      const persisted = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8'));
      expect(Object.keys(persisted.jobs)).toEqual(['factory/pcb']);
      expect(dropping.heartbeats.at(-1)?.jobs[0]).toMatchObject({ job: JOB, activeModel: 'v2' });
    };
    /** Sends `r` in exactly one reply, then `keep` again; resolves after `after` more heartbeats. */
    const once = async (r: HeartbeatReply, after: number): Promise<void> => {
      const sent = dropping.heartbeats.length;
      dropping.setReply(r);
      await waitFor(() => dropping.heartbeats.length > sent, 10_000, 'the reply sent');
      dropping.setReply(keep);
      await waitFor(() => dropping.heartbeats.length > sent + after, 10_000, 'later heartbeats');
    };
    try {
      running = await startTestAgent({
        dataDir,
        operatorUrl: dropping.url,
        job: JOB,
        limits: { dropConfirmMs: confirmMs },
      });
      await waitFor(() => dropping.heartbeats.at(-1)?.jobs[0]?.activeModel === 'v2', 10_000, 'v2 serving');
      // A single drop, then the operator wants the job again: the model stays.
      const firstDrop = Date.now();
      await once(drop, 2);
      await serves();
      // Another single drop, well after the first: the replies between ended that run, so it is a first again.
      await waitFor(() => Date.now() - firstDrop > confirmMs, confirmMs + 1000, 'the interval');
      await once(drop, 1);
      await serves();
      // The operator keeps saying drop: obeyed once a drop comes at least confirmMs after the first.
      const dropping0 = dropping.heartbeats.length;
      const since = Date.now();
      dropping.setReply(drop);
      await waitFor(async () => (await fetch(`${running.url}/readyz`)).status === 503, 10_000, 'job dropped');
      expect(Date.now() - since).toBeGreaterThanOrEqual(confirmMs);
      // It kept reporting the job (and so got the drop) at least twice before it let go.
      const reportedAfter = dropping.heartbeats.slice(dropping0).filter((h) => h.jobs.length > 0);
      expect(reportedAfter.length).toBeGreaterThanOrEqual(2);
      expect((await infer(running.url, await testImage(41))).status).toBe(503);
      await waitFor(
        async () => (await readdir(join(dataDir, 'models'))).length === 0,
        10_000,
        'models removed',
      );
      const state = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8'));
      expect(state.jobs).toEqual({});
    } finally {
      await running.close();
      await dropping.close();
    }
  });
});

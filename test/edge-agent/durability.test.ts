import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createObjectStore } from '../../lib/storage/minio-object-store.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../lib/storage/embedded-s3.js';
import type { ObjectStore, S3Config } from '../../lib/storage/object-store.js';
import { samplesPrefix } from '../../lib/storage/layout.js';
import {
  infer,
  removeTempDirs,
  startFakeOperator,
  startTestAgent,
  tempDir,
  testImage,
  waitFor,
} from './support/agent-harness.js';
import { spawnAgent, type SpawnedAgent } from './support/spawn-agent.js';
import { tinyModelZip, type TinyModel } from './support/tiny-model.js';

const JOB = { namespace: 'default', name: 'local' };
const BUCKET = 'edge-samples';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let model: TinyModel;
let s3Dir: string;
let s3: EmbeddedS3;
let s3Config: S3Config;
let store: ObjectStore;

beforeAll(async () => {
  model = await tinyModelZip(1);
  s3Dir = await tempDir('edge-agent-s3');
  s3 = await startEmbeddedS3({ dir: s3Dir });
  s3Config = { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey };
  store = createObjectStore(s3Config);
});
afterAll(async () => {
  await s3?.stop();
  await removeTempDirs();
});

/** Keys under the job's sample prefix, grouped by sample id. */
async function uploadedIds(node: string): Promise<{ jpeg: string[]; json: string[] }> {
  const objects = await store.list(BUCKET, `${samplesPrefix(JOB.namespace, JOB.name)}${node}/`, {
    recursive: true,
  });
  const ids = (ext: string) =>
    objects
      .filter((o) => o.key.endsWith(`.${ext}`))
      .map((o) =>
        o.key
          .split('/')
          .at(-1)!
          .slice(0, -ext.length - 1),
      );
  return { jpeg: ids('jpeg').sort(), json: ids('json').sort() };
}

const committed = async (dataDir: string) =>
  (await readdir(join(dataDir, 'outbox')).catch(() => [])).filter((f) => f.endsWith('.json'));

/** `edge-stl edge-agent` as its own process, with S3 pointing nowhere so samples stay in the outbox. */
function spawnLocalAgent(node: string, dataDir: string, extraArgs: string[] = []): SpawnedAgent {
  return spawnAgent(
    [
      ...extraArgs,
      ...['--node', node, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--model', model.path],
      ...['--sampling', 'all', '--max-per-minute', '0', '--bucket', BUCKET],
    ],
    { S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY: 'x', S3_SECRET_KEY: 'y' },
  );
}

describe('sample durability', () => {
  it('S3 outage: 50 samples kept while the endpoint is down all arrive exactly once after it returns', async () => {
    const agent = await startTestAgent({
      node: 'outage-node',
      initialModel: model.path,
      s3: s3Config,
      bucket: BUCKET,
      sampling: { strategy: 'all', maxPerMinute: 0 },
      limits: { maxBackoffMs: 400 },
    });
    const images = await Promise.all(Array.from({ length: 50 }, (_, i) => testImage(1000 + i)));
    try {
      for (const image of images.slice(0, 10)) expect((await infer(agent.url, image)).status).toBe(200);
      await s3.stop();
      for (const image of images.slice(10)) expect((await infer(agent.url, image)).status).toBe(200);
      await waitFor(
        async () => (await committed(agent.config.dataDir)).length >= 40,
        10_000,
        '40 samples waiting',
      );
      const metrics = await (await fetch(`${agent.url}/metrics`)).text();
      expect(metrics).toMatch(/edge_stl_agent_upload_failures_total\{node="outage-node"\} [1-9]/);

      s3 = await startEmbeddedS3({ dir: s3Dir, port: s3.port });
      await waitFor(() => agent.agent.outbox.size === 0, 30_000, 'outbox drained');
    } finally {
      await agent.close();
    }
    const { jpeg, json } = await uploadedIds('outage-node');
    const expected = images.map(sha256).sort();
    expect(jpeg).toEqual(expected);
    expect(json).toEqual(expected);
    const record = JSON.parse(
      (await store.getBuffer(BUCKET, `samples/default/local/outage-node/${expected[0]}.json`)).toString(),
    );
    expect(record).toMatchObject({
      id: expected[0],
      node: 'outage-node',
      job: JOB,
      model: { version: `sha256-${model.sha256.slice(0, 12)}` },
    });
    expect(await committed(agent.config.dataDir)).toEqual([]);
  });

  it('agent crash: samples in the outbox of a SIGKILLed agent all arrive after a restart', async () => {
    const dataDir = await tempDir('edge-agent-crash');
    const { child, url: started, exited } = spawnLocalAgent('crash-node', dataDir);
    const images = await Promise.all(Array.from({ length: 12 }, (_, i) => testImage(2000 + i)));
    try {
      const url = await started;
      for (const image of images) expect((await infer(url, image)).status).toBe(200);
      await waitFor(
        async () => (await committed(dataDir)).length === images.length,
        10_000,
        'samples committed',
      );
    } finally {
      child.kill('SIGKILL');
    }
    await exited;

    const agent = await startTestAgent({
      node: 'crash-node',
      dataDir,
      s3: s3Config,
      bucket: BUCKET,
      limits: { maxBackoffMs: 400 },
    });
    try {
      const ready = await (await fetch(`${agent.url}/readyz`)).json();
      expect(ready).toMatchObject({ status: 'ready' }); // the model came back from disk, no --model given
      await waitFor(() => agent.agent.outbox.size === 0, 30_000, 'outbox drained');
    } finally {
      await agent.close();
    }
    const { jpeg, json } = await uploadedIds('crash-node');
    const expected = images.map(sha256).sort();
    expect(jpeg).toEqual(expected);
    expect(json).toEqual(expected);
  });
  it('SIGTERM: in-flight requests finish, the process exits 0, and every kept sample is committed', async () => {
    const dataDir = await tempDir('edge-agent-sigterm');
    const { child, url: started, exited } = spawnLocalAgent('term-node', dataDir);
    const url = await started;
    const images = await Promise.all([1, 2, 3].map((i) => testImage(3000 + i)));
    const replies = images.map((image) => infer(url, image));
    // All three must have arrived (a fixed sleep raced the requests on a loaded machine):
    // in flight plus answered.
    await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const count = (re: RegExp) =>
          text
            .match(re)
            ?.slice(1)
            .reduce((a, v) => a + Number(v), 0) ?? 0;
        return (
          count(/edge_stl_agent_inflight_requests\{[^}]*\} (\d+)/) +
            count(/edge_stl_agent_infer_requests_total\{status="200"[^}]*\} (\d+)/) >=
          3
        );
      },
      10_000,
      'three requests arrived',
    );
    child.kill('SIGTERM');
    expect((await Promise.all(replies)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await exited).toBe(0);
    const files = await readdir(join(dataDir, 'outbox'));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(3);
    expect(files.filter((f) => f.endsWith('.jpeg'))).toHaveLength(3);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('outbox full: the oldest samples are dropped, counted in /metrics and reported in the heartbeat', async () => {
    const operator = await startFakeOperator({
      jobs: [
        {
          job: JOB,
          model: null,
          sampling: { strategy: 'all', thresholdImg: 0.5, thresholdBox: 0.5, maxPerMinute: 0 },
          storage: { bucket: BUCKET },
          drop: false,
        },
      ],
      heartbeatIntervalSeconds: 1,
    });
    // No S3: nothing drains, so the outbox fills up.
    const agent = await startTestAgent({
      node: 'full-node',
      initialModel: model.path,
      operatorUrl: operator.url,
      sampling: { strategy: 'all', maxPerMinute: 0 },
      limits: { outboxMaxBytes: 6 * 1024 },
    });
    try {
      const images = await Promise.all(Array.from({ length: 10 }, (_, i) => testImage(4000 + i)));
      const recordOf = (image: Buffer) => `default_local_${sha256(image)}.json`;
      // One at a time, each sample committed on disk before the next is sent: "newest" is then
      // well defined. (The outbox reserves an entry before it writes, and forgets a dropped entry
      // before its files are unlinked, so its counters alone run ahead of the disk.)
      for (const [i, image] of images.entries()) {
        expect((await infer(agent.url, image)).status).toBe(200);
        await waitFor(
          async () => (await committed(agent.config.dataDir)).includes(recordOf(image)),
          5000,
          `sample ${i} committed`,
        );
      }
      // Drops unlink after the entry is forgotten: wait until the disk holds exactly what is kept.
      await waitFor(
        async () =>
          agent.agent.outbox.size + agent.agent.outbox.dropped === 10 &&
          (await committed(agent.config.dataDir)).length === agent.agent.outbox.size,
        5000,
        'drops unlinked',
      );
      const { outbox } = agent.agent;
      expect(outbox.dropped).toBeGreaterThan(0);
      expect(outbox.size + outbox.dropped).toBe(10);
      expect(outbox.bytes).toBeLessThanOrEqual(6 * 1024);
      // The newest sample is always kept.
      expect(await committed(agent.config.dataDir)).toContain(recordOf(images[9]));
      const metrics = await (await fetch(`${agent.url}/metrics`)).text();
      expect(metrics).toContain(
        `edge_stl_agent_samples_dropped_total{reason="outbox-full",node="full-node"} ${outbox.dropped}`,
      );
      await waitFor(
        () => operator.heartbeats.at(-1)?.jobs[0]?.samplesDropped === outbox.dropped,
        5000,
        'drops reported in a heartbeat',
      );
      expect(operator.heartbeats.at(-1)?.jobs[0]).toMatchObject({
        samplesQueued: outbox.size,
        inferences: 10,
      });
    } finally {
      await agent.close();
      await operator.close();
    }
  });
});

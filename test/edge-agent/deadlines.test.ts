import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DownloadError, downloadWithResume } from '../../lib/net/download.js';
import { AgentMetrics } from '../../edge-agent/metrics.js';
import { Outbox } from '../../edge-agent/outbox.js';
import type { SampleRecord } from '../../lib/protocol/index.js';
import { Uploader } from '../../edge-agent/uploader.js';
import { sampleKey } from '../../lib/storage/layout.js';
import { createObjectStore } from '../../lib/storage/minio-object-store.js';
import { testS3Config, testStore, uniqueBucket } from '../support/env.js';
import {
  infer,
  removeTempDirs,
  startFakeOperator,
  tempDir,
  testImage,
  testLogger,
  waitFor,
} from './support/agent-harness.js';
import { startBlackHole, startTrickleServer } from './support/bad-peers.js';
import { spawnAgent } from './support/spawn-agent.js';
import { tinyModelZip } from './support/tiny-model.js';
import { StoreSampleTarget } from '../../edge-agent/sample-target.js';

afterAll(removeTempDirs);

function record(id: string, bucket: string): SampleRecord {
  return {
    id,
    job: { namespace: 'ns', name: 'job' },
    node: 'edge-1',
    bucket,
    createdAt: new Date().toISOString(),
    model: { job: 'ns/job', version: 'v1' },
    reason: 'all',
    image: { width: 1, height: 1, format: 'jpeg' },
    detections: [],
  };
}

describe('S3 calls have a deadline', () => {
  it('uploads stalled by a black-holed S3 time out, and resume once S3 comes back', async () => {
    const hole = await startBlackHole();
    const bucket = uniqueBucket('black-hole');
    const real = testStore();
    await real.ensureBucket(bucket);
    const dir = await tempDir('black-hole-outbox');
    const outbox = await Outbox.open(dir, { maxBytes: 1e6 });
    const ids = ['aa01', 'aa02', 'aa03'];
    for (const id of ids) await outbox.add(record(id, bucket), Buffer.from(`image ${id}`));
    const metrics = new AgentMetrics('edge-1', { defaultMetrics: false });
    const store = createObjectStore({ ...testS3Config(), endpoint: hole.url }, { requestTimeoutMs: 300 });
    const uploader = new Uploader({
      outbox,
      target: new StoreSampleTarget(store, () => undefined),
      metrics,
      log: testLogger(),
      concurrency: 2,
      baseBackoffMs: 50,
      maxBackoffMs: 300,
    });
    uploader.start();
    try {
      // Each stalled request fails at its deadline and is retried: failures keep counting.
      await waitFor(
        async () => ((await metrics.uploadFailures.get()).values[0]?.value ?? 0) >= 3,
        20_000,
        'uploads to fail at the S3 deadline',
      );
      expect(uploader.uploaded).toBe(0);
      const s3 = new URL(testS3Config().endpoint);
      hole.forwardTo(s3.hostname, Number(s3.port));
      await waitFor(() => uploader.uploaded === 3, 30_000, 'all samples uploaded after S3 came back');
      for (const id of ids)
        expect(await real.stat(bucket, sampleKey('ns', 'job', 'edge-1', id, 'json'))).not.toBeNull();
      expect(outbox.size).toBe(0);
    } finally {
      await uploader.stop();
      await hole.close();
    }
  });
});

describe('model downloads have an idle and a total deadline', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'download-deadline-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('cuts a server sending one byte every 2 s at the idle deadline', async () => {
    const trickle = await startTrickleServer(10_000, 2000); // would take 5.5 hours
    try {
      const failure = downloadWithResume(trickle.url, join(dir, 'model.zip'), {
        idleTimeoutMs: 500,
        attempts: 2,
        baseBackoffMs: 10,
      });
      await expect(failure).rejects.toBeInstanceOf(DownloadError);
      await expect(failure).rejects.toThrow(/no data from the model server for 500 ms/);
      expect(trickle.requests()).toBe(2);
    } finally {
      await trickle.close();
    }
  });

  it('fails a download that keeps trickling under the idle deadline at the total deadline', async () => {
    const trickle = await startTrickleServer(10_000, 50); // under the idle deadline, 8 minutes in all
    try {
      await expect(
        downloadWithResume(trickle.url, join(dir, 'model.zip'), { idleTimeoutMs: 1000, timeoutMs: 800 }),
      ).rejects.toThrow(/longer than 800 ms/);
      // The bytes received stay in the part file for a later resume.
      expect((await readdir(dir)).filter((f) => f.endsWith('.part'))).toHaveLength(1);
    } finally {
      await trickle.close();
    }
  });
});

describe('shutdown deadline', () => {
  it('SIGTERM while an upload hangs on a black-holed S3 and a model trickles in: the agent exits within its deadline', async () => {
    const model = await tinyModelZip(1);
    const hole = await startBlackHole();
    const trickle = await startTrickleServer(100_000, 3000);
    const operator = await startFakeOperator(
      {
        jobs: [
          {
            job: { namespace: 'default', name: 'local' },
            model: { version: 'v2', url: trickle.url, sha256: 'a'.repeat(64) },
            sampling: { strategy: 'all', thresholdImg: 0.5, thresholdBox: 0.5, maxPerMinute: 0 },
            storage: { bucket: 'edge-samples' },
            drop: false,
          },
        ],
        heartbeatIntervalSeconds: 1,
      },
      // Kept samples go to the black hole, as presigned PUTs from the operator.
      { sampleUrlsBase: hole.url },
    );
    const dataDir = await tempDir('sigterm-deadline');
    const deadlineMs = 3000;
    const agent = spawnAgent(
      [
        ...['--node', 'term-deadline', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
        ...['--model', model.path, '--sampling', 'all', '--max-per-minute', '0'],
        ...['--operator-url', operator.url, '--heartbeat-seconds', '1'],
        ...['--shutdown-timeout-ms', String(deadlineMs), '--s3-timeout-ms', '60000'],
        ...['--download-idle-timeout-ms', '60000'],
      ],
      { S3_ENDPOINT: hole.url, S3_ACCESS_KEY: 'x', S3_SECRET_KEY: 'y' },
    );
    try {
      const url = await agent.url;
      expect((await infer(url, await testImage(7100))).status).toBe(200);
      // Both stuck: S3 accepted the upload's connection, the model server has started its trickle.
      await waitFor(
        () => hole.accepted() >= 1 && trickle.requests() >= 1,
        20_000,
        'upload and download in flight',
      );
      const started = Date.now();
      agent.child.kill('SIGTERM');
      const code = await agent.exited;
      const tookMs = Date.now() - started;
      // Slack over the deadline covers process teardown on a loaded 2-core machine, nothing more.
      expect(tookMs).toBeLessThan(deadlineMs + 1500);
      expect({ code, log: code === 0 ? '' : agent.stderr().slice(-1500) }).toEqual({ code: 0, log: '' });
      // The sample whose upload was cut is still in the outbox for the next start.
      const outbox = await readdir(join(dataDir, 'outbox'));
      expect(outbox.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      await operator.close();
      await trickle.close();
      await hole.close();
    }
  });
});

import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { parseVoc } from '../../lib/dataset/voc.js';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { labelingApp, type LabelingJob } from '../../labeling/app.js';
import { LabeledIndex } from '../../labeling/labeled-index.js';
import { LabelingMetrics } from '../../labeling/labeling-metrics.js';
import { testRedisUrl, testStore, uniqueBucket } from '../support/env.js';
import { listenClient, type HttpReply, type HttpRequest } from './http-client.js';
import { makeJpeg, putSample } from './sample-fixtures.js';

const TOKEN = 'test-token-123';
const NS = 'demo';
const JOB = 'pcb';
const CLASSES = ['defect', 'scratch'];
const auth = { authorization: `Bearer ${TOKEN}` };

describe('labeling API', () => {
  let store: ObjectStore;
  let bucket: string;
  let redis: Redis;
  const apps: FastifyInstance[] = [];
  const jobs: LabelingJob[] = [{ namespace: NS, job: JOB, classes: CLASSES }];

  /** A replica; `lock: false` builds one without the cross-replica Redis lock. */
  async function buildApp(options: { store?: ObjectStore; lock?: boolean } = {}): Promise<{
    app: { inject: (req: HttpRequest) => Promise<HttpReply> };
    index: LabeledIndex;
  }> {
    const replicaStore = options.store ?? store;
    const index = new LabeledIndex(replicaStore, bucket, options.lock === false ? undefined : redis);
    const app = Fastify();
    await app.register(labelingApp, {
      store: replicaStore,
      bucket,
      token: TOKEN,
      jobs: () => jobs,
      index,
      metrics: new LabelingMetrics(),
    });
    apps.push(app);
    return { app: { inject: await listenClient(app) }, index };
  }

  beforeAll(async () => {
    store = testStore();
    bucket = uniqueBucket('labeling-api');
    await store.ensureBucket(bucket);
    redis = new Redis(testRedisUrl());
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    redis.disconnect();
  });

  it('refuses the API without the token and accepts a login with it', async () => {
    const { app } = await buildApp();
    expect((await app.inject({ method: 'GET', url: '/api/jobs' })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: '/api/jobs', headers: { authorization: 'Bearer nope' } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ method: 'POST', url: '/api/login', payload: { token: 'nope' } })).statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ method: 'POST', url: '/api/login', payload: { token: TOKEN } })).json(),
    ).toEqual({ ok: true });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<canvas');
  });

  it('lists pending samples newest first, serves one, and writes correct VOC on save', async () => {
    const { app } = await buildApp();
    const node = 'edge-1';
    const older = await putSample(
      store,
      bucket,
      { namespace: NS, job: JOB, node },
      await makeJpeg(120, 80, [], 1),
      [],
    );
    await new Promise((r) => setTimeout(r, 1100)); // S3 lastModified has 1 s resolution
    const detections = [
      { class: 'defect', score: 0.42, box: { xmin: 10.2, ymin: 5.5, xmax: 40.7, ymax: 30 } },
    ];
    const newer = await putSample(
      store,
      bucket,
      { namespace: NS, job: JOB, node },
      await makeJpeg(120, 80, [], 2),
      detections,
    );

    const list = await app.inject({ method: 'GET', url: `/api/jobs/${NS}/${JOB}/samples`, headers: auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().counts).toEqual({ total: 2, labeled: 0, pending: 2 });
    expect(list.json().samples.map((s: { id: string }) => s.id)).toEqual([newer, older]);
    expect(list.json().classes).toEqual(CLASSES);

    const one = await app.inject({
      method: 'GET',
      url: `/api/jobs/${NS}/${JOB}/samples/${node}/${newer}`,
      headers: auth,
    });
    expect(one.json()).toMatchObject({
      id: newer,
      image: { width: 120, height: 80 },
      detections,
      modelVersion: 'v0',
    });
    const image = await app.inject({
      method: 'GET',
      url: `/api/jobs/${NS}/${JOB}/samples/${node}/${newer}/image`,
      headers: auth,
    });
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.rawPayload.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    const boxes = [
      { class: 'defect', xmin: 11, ymin: 6, xmax: 41, ymax: 30 },
      { class: 'scratch', xmin: 1, ymin: 1, xmax: 120, ymax: 80 },
    ];
    const saved = await app.inject({
      method: 'POST',
      url: `/api/jobs/${NS}/${JOB}/samples/${node}/${newer}/labels`,
      headers: auth,
      payload: { boxes },
    });
    expect(saved.statusCode).toBe(200);
    const stem = `${node}_${newer}`;
    expect(saved.json()).toEqual({
      image: `labeled/${NS}/${JOB}/JPEGImages/${stem}.jpeg`,
      annotation: `labeled/${NS}/${JOB}/Annotations/${stem}.xml`,
      indexLine: `./JPEGImages/${stem}.jpeg ./Annotations/${stem}.xml`,
    });

    const xml = (await store.getBuffer(bucket, `labeled/${NS}/${JOB}/Annotations/${stem}.xml`)).toString(
      'utf8',
    );
    const voc = parseVoc(xml, 'saved.xml');
    expect(voc).toMatchObject({ filename: `${stem}.jpeg`, width: 120, height: 80 });
    expect(voc.objects).toEqual(boxes.map(({ class: name, ...b }) => ({ name, ...b })));
    const copied = await store.getBuffer(bucket, `labeled/${NS}/${JOB}/JPEGImages/${stem}.jpeg`);
    expect(copied.equals(image.rawPayload)).toBe(true);
    const index = (await store.getBuffer(bucket, labeledIndexKey(NS, JOB))).toString('utf8');
    expect(index).toBe(`./JPEGImages/${stem}.jpeg ./Annotations/${stem}.xml\n`);
    const meta = JSON.parse(
      (await store.getBuffer(bucket, `labeled/${NS}/${JOB}/meta/${node}/${newer}.json`)).toString('utf8'),
    );
    expect(meta).toMatchObject({ node, id: newer, method: 'manual', boxes: 2 });

    const after = await app.inject({ method: 'GET', url: `/api/jobs/${NS}/${JOB}/samples`, headers: auth });
    expect(after.json().counts).toEqual({ total: 2, labeled: 1, pending: 1 });
    expect(after.json().samples.map((s: { id: string }) => s.id)).toEqual([older]);
  });

  it('rejects boxes outside the image, unknown classes, inverted or malformed boxes', async () => {
    const { app } = await buildApp();
    const node = 'edge-2';
    const id = await putSample(
      store,
      bucket,
      { namespace: NS, job: JOB, node },
      await makeJpeg(100, 60, [], 3),
      [],
    );
    const post = (boxes: unknown) =>
      app.inject({
        method: 'POST',
        url: `/api/jobs/${NS}/${JOB}/samples/${node}/${id}/labels`,
        headers: auth,
        payload: { boxes },
      });
    const cases: Array<[unknown, string]> = [
      [[{ class: 'defect', xmin: 1, ymin: 1, xmax: 101, ymax: 10 }], 'outside the 100x60 image'],
      [[{ class: 'defect', xmin: 1, ymin: 1, xmax: 50, ymax: 61 }], 'outside the 100x60 image'],
      [[{ class: 'dent', xmin: 1, ymin: 1, xmax: 5, ymax: 5 }], 'unknown class "dent"'],
      [[{ class: 'defect', xmin: 9, ymin: 1, xmax: 5, ymax: 5 }], 'min must be below max'],
      [[{ class: 'defect', xmin: 0, ymin: 1, xmax: 5, ymax: 5 }], 'xmin'],
      [[{ class: 'defect', xmin: 1.5, ymin: 1, xmax: 5, ymax: 5 }], 'xmin'],
      [[{ class: 'defect', xmin: 1, ymin: 1, xmax: 5, ymax: 5, extra: true }], 'additional'],
      ['not-a-list', 'boxes'],
    ];
    for (const [boxes, message] of cases) {
      const res = await post(boxes);
      expect({ boxes, status: res.statusCode }).toEqual({ boxes, status: 400 });
      expect(res.json().message).toContain(message);
    }
    expect(await store.stat(bucket, `labeled/${NS}/${JOB}/Annotations/${node}_${id}.xml`)).toBeNull();
    const missing = await app.inject({
      method: 'POST',
      url: `/api/jobs/${NS}/${JOB}/samples/${node}/${'f'.repeat(64)}/labels`,
      headers: auth,
      payload: { boxes: [] },
    });
    expect(missing.statusCode).toBe(404);
    const unknownJob = await app.inject({
      method: 'GET',
      url: `/api/jobs/${NS}/other/samples`,
      headers: auth,
    });
    expect(unknownJob.statusCode).toBe(404);
  });

  it('loses no index line when 20 labels are saved at once through two replicas', async () => {
    const replicas = [await buildApp(), await buildApp()];
    const job = 'concurrent';
    jobs.push({ namespace: NS, job, classes: CLASSES });
    const ids: Array<{ node: string; id: string }> = [];
    for (let i = 0; i < 20; i++) {
      const node = `edge-${i % 3}`;
      ids.push({
        node,
        id: await putSample(
          store,
          bucket,
          { namespace: NS, job, node },
          await makeJpeg(64, 48, [], 100 + i),
          [],
        ),
      });
    }
    const results = await Promise.all(
      ids.map(({ node, id }, i) =>
        replicas[i % 2].app.inject({
          method: 'POST',
          url: `/api/jobs/${NS}/${job}/samples/${node}/${id}/labels`,
          headers: auth,
          payload: { boxes: [{ class: 'defect', xmin: 2, ymin: 2, xmax: 20, ymax: 20 }] },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(new Array(20).fill(200));
    const lines = (await store.getBuffer(bucket, labeledIndexKey(NS, job)))
      .toString('utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(20);
    expect(new Set(lines)).toEqual(
      new Set(ids.map(({ node, id }) => `./JPEGImages/${node}_${id}.jpeg ./Annotations/${node}_${id}.xml`)),
    );
    // Saving the same sample again changes its label, not the index.
    const again = await replicas[0].app.inject({
      method: 'POST',
      url: `/api/jobs/${NS}/${job}/samples/${ids[0].node}/${ids[0].id}/labels`,
      headers: auth,
      payload: { boxes: [] },
    });
    expect(again.statusCode).toBe(200);
    expect(
      (await store.getBuffer(bucket, labeledIndexKey(NS, job))).toString('utf8').trim().split('\n'),
    ).toHaveLength(20);
  });

  it('two replicas forced into a lost-update interleaving: without the Redis lock a line is lost, with it none', async () => {
    /**
     * Replica A's index write waits until replica B has read the index; B's write waits until A's
     * has landed (and A has read it back): the classic lost update, unless the lock keeps B from
     * reading before A is done. The waits give up after a second, which only happens with the
     * lock (the other replica cannot get into the critical section meanwhile).
     */
    async function race(job: string, lock: boolean): Promise<string[]> {
      jobs.push({ namespace: NS, job, classes: CLASSES });
      const key = labeledIndexKey(NS, job);
      const bRead = signal();
      const aWrote = signal();
      const storeA = interceptIndex(store, key, {
        beforePut: () => bRead.wait(1000),
        afterPut: () => aWrote.fire(),
      });
      const storeB = interceptIndex(store, key, {
        afterGet: () => bRead.fire(),
        beforePut: async () => {
          await aWrote.wait(1000);
          await new Promise((r) => setTimeout(r, 200)); // A's read-back of its own write
        },
      });
      const replicas = [await buildApp({ store: storeA, lock }), await buildApp({ store: storeB, lock })];
      const samples = await Promise.all(
        ['edge-a', 'edge-b'].map(async (node, i) => ({
          node,
          id: await putSample(
            store,
            bucket,
            { namespace: NS, job, node },
            await makeJpeg(64, 48, [], 200 + i),
            [],
          ),
        })),
      );
      const replies = await Promise.all(
        samples.map(({ node, id }, i) =>
          replicas[i].app.inject({
            method: 'POST',
            url: `/api/jobs/${NS}/${job}/samples/${node}/${id}/labels`,
            headers: auth,
            payload: { boxes: [{ class: 'defect', xmin: 2, ymin: 2, xmax: 20, ymax: 20 }] },
          }),
        ),
      );
      // Both replicas answer 200: each read its own line back before the other's write landed.
      expect(replies.map((r) => r.statusCode)).toEqual([200, 200]);
      return (await store.getBuffer(bucket, key)).toString('utf8').trim().split('\n');
    }
    const unlocked = await race('race-unlocked', false);
    expect(unlocked).toHaveLength(1); // the interleaving is real: it loses a line without the lock
    const locked = await race('race-locked', true);
    expect(locked.sort()).toEqual([expect.stringContaining('edge-a_'), expect.stringContaining('edge-b_')]);
  });
});

/** A one-shot event a test can wait for, with a deadline. */
function signal(): { fire: () => void; wait: (ms: number) => Promise<void> } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return {
    fire,
    wait: (ms) => Promise.race([fired, new Promise<void>((r) => setTimeout(r, ms))]),
  };
}

/** The store, with hooks around reads and writes of one key (the index). */
function interceptIndex(
  store: ObjectStore,
  key: string,
  hooks: { afterGet?: () => void; beforePut?: () => Promise<void>; afterPut?: () => void },
): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'getBuffer')
        return async (bucket: string, k: string) => {
          const body = await target.getBuffer(bucket, k).catch((err: unknown) => {
            if (k === key) hooks.afterGet?.();
            throw err;
          });
          if (k === key) hooks.afterGet?.();
          return body;
        };
      if (prop === 'putObject')
        return async (...args: Parameters<ObjectStore['putObject']>) => {
          if (args[1] === key) await hooks.beforePut?.();
          const result = await target.putObject(...args);
          if (args[1] === key) hooks.afterPut?.();
          return result;
        };
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

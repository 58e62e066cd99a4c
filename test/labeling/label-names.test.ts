import Fastify, { type FastifyInstance } from 'fastify';
import { parseVoc } from '../../lib/dataset/voc.js';
import type { SampleRecord } from '../../lib/protocol/index.js';
import { labeledIndexKey, sampleKey } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { labelingApp } from '../../labeling/app.js';
import { LabeledIndex } from '../../labeling/labeled-index.js';
import { LabelingMetrics } from '../../labeling/labeling-metrics.js';
import { testStore, uniqueBucket } from '../support/env.js';
import { listenClient, type HttpReply, type HttpRequest } from './http-client.js';
import { makeJpeg } from './sample-fixtures.js';

const TOKEN = 'names-token-123';
const NS = 'demo';
const JOB = 'pcb';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A sample whose record claims `claimed` as its size, whatever the image really is. */
async function putRawSample(
  store: ObjectStore,
  bucket: string,
  node: string,
  id: string,
  jpeg: Buffer,
  claimed: { width: number; height: number },
): Promise<void> {
  await store.putObject(bucket, sampleKey(NS, JOB, node, id, 'jpeg'), jpeg);
  const record: SampleRecord = {
    id,
    job: { namespace: NS, name: JOB },
    node,
    bucket,
    createdAt: new Date().toISOString(),
    model: { job: `${NS}/${JOB}`, version: 'v0' },
    reason: 'ibt',
    image: { ...claimed, format: 'jpeg' },
    detections: [],
  };
  await store.putObject(bucket, sampleKey(NS, JOB, node, id, 'json'), JSON.stringify(record));
}

describe('labeled names and sizes', () => {
  let store: ObjectStore;
  let bucket: string;
  let app: FastifyInstance;
  let inject: (req: HttpRequest) => Promise<HttpReply>;

  beforeAll(async () => {
    store = testStore();
    bucket = uniqueBucket('label-names');
    await store.ensureBucket(bucket);
    app = Fastify();
    await app.register(labelingApp, {
      store,
      bucket,
      token: TOKEN,
      jobs: () => [{ namespace: NS, job: JOB, classes: ['defect'] }],
      index: new LabeledIndex(store, bucket),
      metrics: new LabelingMetrics(),
    });
    inject = await listenClient(app);
  });

  afterAll(async () => {
    await app.close();
  });

  const save = (node: string, id: string, box: { xmax: number; ymax: number }) =>
    inject({
      method: 'POST',
      url: `/api/jobs/${NS}/${JOB}/samples/${node}/${id}/labels`,
      headers: auth,
      payload: { boxes: [{ class: 'defect', xmin: 1, ymin: 1, ...box }] },
    });

  it('gives n-x/1 and n/x-1 different labeled files: neither overwrites the other', async () => {
    const first = await makeJpeg(64, 48, [], 1);
    const second = await makeJpeg(80, 40, [], 2);
    await putRawSample(store, bucket, 'n-x', '1', first, { width: 64, height: 48 });
    await putRawSample(store, bucket, 'n', 'x-1', second, { width: 80, height: 40 });

    const a = await save('n-x', '1', { xmax: 10, ymax: 10 });
    const b = await save('n', 'x-1', { xmax: 20, ymax: 20 });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json().image).not.toBe(b.json().image);
    expect(a.json().annotation).not.toBe(b.json().annotation);

    // Each labeled file is still its own sample's.
    expect((await store.getBuffer(bucket, a.json().image)).equals(first)).toBe(true);
    expect((await store.getBuffer(bucket, b.json().image)).equals(second)).toBe(true);
    const vocA = parseVoc((await store.getBuffer(bucket, a.json().annotation)).toString('utf8'), 'a.xml');
    const vocB = parseVoc((await store.getBuffer(bucket, b.json().annotation)).toString('utf8'), 'b.xml');
    expect([vocA.width, vocA.objects[0]?.xmax]).toEqual([64, 10]);
    expect([vocB.width, vocB.objects[0]?.xmax]).toEqual([80, 20]);
    const index = (await store.getBuffer(bucket, labeledIndexKey(NS, JOB))).toString('utf8');
    expect(new Set(index.trim().split('\n'))).toEqual(new Set([a.json().indexLine, b.json().indexLine]));
  });

  it('takes the image size from the image, not from what the sample record claims', async () => {
    const jpeg = await makeJpeg(50, 30, [], 5);
    await putRawSample(store, bucket, 'liar', 'big', jpeg, { width: 4000, height: 3000 });

    const shown = await inject({
      method: 'GET',
      url: `/api/jobs/${NS}/${JOB}/samples/liar/big`,
      headers: auth,
    });
    expect(shown.json().image).toEqual({ width: 50, height: 30 });
    const outside = await save('liar', 'big', { xmax: 1000, ymax: 20 });
    expect(outside.statusCode).toBe(400);
    expect(outside.json().message).toContain('outside the 50x30 image');
    const inside = await save('liar', 'big', { xmax: 50, ymax: 30 });
    expect(inside.statusCode).toBe(200);
    const voc = parseVoc((await store.getBuffer(bucket, inside.json().annotation)).toString('utf8'), 'x.xml');
    expect([voc.width, voc.height]).toEqual([50, 30]);
  });

  it('refuses names that are not DNS names or plain ids before touching storage', async () => {
    for (const url of [
      `/api/jobs/${NS}/${JOB}/samples/..%2F..%2Fmodels/x/labels`,
      `/api/jobs/${NS}/${JOB}/samples/n_1/x/labels`,
      `/api/jobs/${NS}/${JOB}/samples/n/..%2Fx/labels`,
      `/api/jobs/${NS}/${JOB}/samples/n/../labels`,
      `/api/jobs/UP/${JOB}/samples/n/x/labels`,
    ]) {
      const res = await inject({ method: 'POST', url, headers: auth, payload: { boxes: [] } });
      expect({ url, status: res.statusCode }).toEqual({ url, status: expect.any(Number) });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
    expect(await store.list(bucket, 'labeled/', { recursive: true })).not.toContainEqual(
      expect.objectContaining({ key: expect.stringContaining('..') }),
    );
  });
});

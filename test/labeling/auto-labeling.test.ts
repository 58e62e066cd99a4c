import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerBuiltins } from '../../lib/builtin-algorithms/register.js';
import { ClassFactory, ClassType } from '../../lib/algorithm-api/index.js';
import type { BaseModelConstructor } from '../../lib/algorithm-api/types.js';
import type { Dataset } from '../../lib/dataset/types.js';
import { formatVoc, parseVoc } from '../../lib/dataset/voc.js';
import { sha256File } from '../../lib/model-package/index.js';
import { labeledIndexKey, SHA256_METADATA_KEY } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { formatS3Uri } from '../../lib/storage/s3-uri.js';
import { startLabeling, type LabelingService } from '../../labeling/server.js';
import { testStore, uniqueBucket } from '../support/env.js';
import { makeJpeg, putSample, type FixtureBox } from './sample-fixtures.js';

const NS = 'demo';
const JOB = 'auto';
const CLASSES = ['defect'];

/** Ground-truth boxes of the i-th dataset image (VOC, 1-based inclusive). */
function truthOf(i: number): FixtureBox[] {
  return [
    { class: 'defect', xmin: 11 + 5 * i, ymin: 9, xmax: 50 + 5 * i, ymax: 40 },
    { class: 'defect', xmin: 70, ymin: 50 + i, xmax: 110, ymax: 85 },
  ];
}

describe('auto labeling', () => {
  let store: ObjectStore;
  let bucket: string;
  let dir: string;
  let service: LabelingService;
  const images: Buffer[] = [];

  beforeAll(async () => {
    await registerBuiltins();
    store = testStore();
    bucket = uniqueBucket('labeling-auto');
    await store.ensureBucket(bucket);
    dir = await mkdtemp(join(tmpdir(), 'hf-auto-'));
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) {
      const boxes = truthOf(i);
      const jpeg = await makeJpeg(
        128,
        96,
        boxes.map((b) => ({ ...b, xmin: b.xmin - 1, ymin: b.ymin - 1 })),
        40 + i,
      );
      images.push(jpeg);
      await store.putObject(bucket, `datasets/gt/JPEGImages/g${i}.jpeg`, jpeg);
      const objects = [
        ...boxes.map(({ class: name, ...b }) => ({ name, ...b })),
        { name: 'unlisted', xmin: 1, ymin: 1, xmax: 5, ymax: 5 },
      ];
      await store.putObject(
        bucket,
        `datasets/gt/Annotations/g${i}.xml`,
        formatVoc({ filename: `g${i}.jpeg`, width: 128, height: 96, objects }),
      );
      lines.push(`./JPEGImages/g${i}.jpeg ./Annotations/g${i}.xml`);
    }
    await store.putObject(bucket, 'datasets/gt/index.txt', lines.join('\n'));
    service = await startLabeling({
      store,
      bucket,
      token: 't',
      jobs: [{ namespace: NS, job: JOB, classes: CLASSES, mode: 'auto' }],
      port: 0,
      host: '127.0.0.1',
      workDir: dir,
      auto: {
        intervalMs: 3_600_000,
        groundTruthIndexes: [formatS3Uri(bucket, 'datasets/gt/index.txt')],
        teacherScoreThreshold: 0.01,
      },
    });
  });

  afterAll(async () => {
    await service?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies ground truth for dataset images (oracle) and uses the newest cloud model for the rest (teacher)', async () => {
    const known = [
      await putSample(store, bucket, { namespace: NS, job: JOB, node: 'n1' }, images[0], []),
      await putSample(store, bucket, { namespace: NS, job: JOB, node: 'n2' }, images[2], []),
    ];
    const unknown = await putSample(
      store,
      bucket,
      { namespace: NS, job: JOB, node: 'n1' },
      await makeJpeg(128, 96, truthOf(1), 99),
      [],
    );

    // A malformed record (an old agent, a bad upload) is skipped without blocking the others.
    await store.putObject(bucket, `samples/${NS}/${JOB}/n3/bad.jpeg`, images[3]);
    await store.putObject(bucket, `samples/${NS}/${JOB}/n3/bad.json`, '{"id": "bad", "image": 7}');

    // No model yet: the oracle labels what it knows, the rest waits.
    expect((await service.runAuto())[`${NS}/${JOB}`]).toEqual({ oracle: 2, teacher: 0, skipped: 2 });
    for (const [node, id, i] of [
      ['n1', known[0], 0],
      ['n2', known[1], 2],
    ] as const) {
      const voc = parseVoc(
        (await store.getBuffer(bucket, `labeled/${NS}/${JOB}/Annotations/${node}_${id}.xml`)).toString(
          'utf8',
        ),
        'x',
      );
      expect(voc.objects).toEqual(truthOf(i).map(({ class: name, ...b }) => ({ name, ...b })));
      const meta = JSON.parse(
        (await store.getBuffer(bucket, `labeled/${NS}/${JOB}/meta/${node}/${id}.json`)).toString('utf8'),
      );
      expect(meta.method).toBe('oracle');
    }

    // Publish a (tiny) cloud model: the teacher labels the remaining sample.
    const dataset: Dataset = { source: 'gt', samples: [] };
    for (let i = 0; i < 4; i++) {
      const imagePath = join(dir, `g${i}.jpeg`);
      const annotationPath = join(dir, `g${i}.xml`);
      await writeFile(imagePath, images[i]);
      await writeFile(annotationPath, await store.getBuffer(bucket, `datasets/gt/Annotations/g${i}.xml`));
      dataset.samples.push({ imagePath, annotationPath });
    }
    const Fpn = ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, 'FPN');
    const model = new Fpn({ preset: 'tiny', max_iteration: 8, classes: CLASSES });
    await model.train(dataset, undefined, { workDir: join(dir, 'train') });
    const zip = await model.save(join(dir, 'model.zip'));
    await model.dispose();
    await store.putFile(bucket, `models/${NS}/${JOB}/v1/model.zip`, zip, {
      metadata: { [SHA256_METADATA_KEY]: await sha256File(zip) },
    });

    expect((await service.runAuto())[`${NS}/${JOB}`]).toEqual({ oracle: 0, teacher: 1, skipped: 1 });
    const meta = JSON.parse(
      (await store.getBuffer(bucket, `labeled/${NS}/${JOB}/meta/n1/${unknown}.json`)).toString('utf8'),
    );
    expect(meta).toMatchObject({ method: 'teacher', modelVersion: 'v1' });
    expect(meta.boxes).toBeGreaterThan(0);
    const voc = parseVoc(
      (await store.getBuffer(bucket, `labeled/${NS}/${JOB}/Annotations/n1_${unknown}.xml`)).toString('utf8'),
      'x',
    );
    for (const o of voc.objects) {
      expect(o.name).toBe('defect');
      expect(o.xmin).toBeGreaterThanOrEqual(1);
      expect(o.xmax).toBeLessThanOrEqual(128);
      expect(o.ymax).toBeLessThanOrEqual(96);
    }
    const index = (await store.getBuffer(bucket, labeledIndexKey(NS, JOB)))
      .toString('utf8')
      .trim()
      .split('\n');
    expect(index).toHaveLength(3);
    expect((await service.runAuto())[`${NS}/${JOB}`]).toEqual({ oracle: 0, teacher: 0, skipped: 1 });
  });
});

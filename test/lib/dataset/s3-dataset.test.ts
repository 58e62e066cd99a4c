/** Datasets on S3, through the minio adapter against the embedded S3 endpoint (real HTTP). */
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  DatasetCache,
  DatasetError,
  formatVoc,
  loadDataset,
  parseVoc,
  readIndexFile,
  uploadDataset,
} from '../../../lib/dataset/index.js';
import type { ObjectStore } from '../../../lib/storage/object-store.js';
import { testStore, uniqueBucket } from '../../support/env.js';

/** Counts downloads so tests can see what the cache saved. */
function countingStore(inner: ObjectStore): ObjectStore & { downloads: string[] } {
  const downloads: string[] = [];
  return Object.assign(Object.create(inner) as ObjectStore, {
    downloads,
    getFile: async (bucket: string, key: string, path: string) => {
      downloads.push(key);
      return inner.getFile(bucket, key, path);
    },
  });
}

async function makeDataset(dir: string, n: number): Promise<string> {
  await mkdir(join(dir, 'JPEGImages'), { recursive: true });
  await mkdir(join(dir, 'Annotations'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const name = `img-${i}`;
    const rect = Buffer.from(
      `<svg width="64" height="48"><rect x="${4 + i}" y="8" width="12" height="10" fill="red"/></svg>`,
    );
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 20, g: 90, b: 40 } } })
      .composite([{ input: rect }])
      .jpeg()
      .toFile(join(dir, 'JPEGImages', `${name}.jpeg`));
    const objects = [{ name: 'Bad_podu', xmin: 4 + i, ymin: 8, xmax: 16 + i, ymax: 18 }];
    await writeFile(
      join(dir, 'Annotations', `${name}.xml`),
      formatVoc({ filename: `${name}.jpeg`, width: 64, height: 48, objects }),
    );
    lines.push(`./JPEGImages/${name}.jpeg ./Annotations/${name}.xml`);
  }
  // An unlabeled line and a blank line, both legal.
  lines.push('', './JPEGImages/img-0.jpeg');
  await writeFile(join(dir, 'index.txt'), `${lines.join('\n')}\n`);
  return join(dir, 'index.txt');
}

describe('datasets on S3', () => {
  const store = testStore();
  const bucket = uniqueBucket('dataset');
  let work: string;
  let localIndex: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 's3-dataset-'));
    localIndex = await makeDataset(join(work, 'src', 'train_data'), 3);
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('uploads an Ianvs dataset and loads it back with local paths and identical files', async () => {
    const up = await uploadDataset(localIndex, store, bucket, '/datasets/pcb/train_data/');
    expect(up).toEqual({ indexUri: `s3://${bucket}/datasets/pcb/train_data/index.txt`, files: 6 });
    const indexText = (await store.getBuffer(bucket, 'datasets/pcb/train_data/index.txt')).toString('utf8');
    expect(indexText.split('\n')[0]).toBe('./JPEGImages/img-0.jpeg ./Annotations/img-0.xml');

    const cacheDir = join(work, 'cache');
    const ds = await loadDataset(up.indexUri, { store, cacheDir });
    expect(ds.source).toBe(up.indexUri);
    expect(ds.samples).toHaveLength(4);
    const base = join(cacheDir, bucket, 'datasets', 'pcb', 'train_data');
    expect(ds.samples[1]).toEqual({
      imagePath: join(base, 'JPEGImages', 'img-1.jpeg'),
      annotationPath: join(base, 'Annotations', 'img-1.xml'),
    });
    expect(ds.samples[3]).toEqual({ imagePath: join(base, 'JPEGImages', 'img-0.jpeg') });
    const src = join(work, 'src', 'train_data');
    expect(await readFile(ds.samples[2]!.imagePath)).toEqual(
      await readFile(join(src, 'JPEGImages', 'img-2.jpeg')),
    );
    expect(parseVoc(await readFile(ds.samples[2]!.annotationPath!, 'utf8'), 'x').objects[0]!.xmin).toBe(6);
    // The cache directory is itself a valid local Ianvs dataset.
    const local = await loadDataset(join(base, 'index.txt'));
    expect(local.samples).toEqual(ds.samples);
  });

  it('reads an s3 index as s3:// URIs without downloading anything', async () => {
    const prefix = `s3://${bucket}/datasets/pcb/train_data`;
    const entries = await readIndexFile(`${prefix}/index.txt`, { store });
    expect(entries).toHaveLength(4);
    expect(entries[0]).toEqual({
      imagePath: `${prefix}/JPEGImages/img-0.jpeg`,
      annotationPath: `${prefix}/Annotations/img-0.xml`,
    });
    expect(entries[3]).toEqual({ imagePath: `${prefix}/JPEGImages/img-0.jpeg` });
  });

  it('downloads only what changed on a second load', async () => {
    const cacheDir = join(work, 'cache-2');
    const uri = `s3://${bucket}/datasets/pcb/train_data/index.txt`;
    const first = countingStore(store);
    await loadDataset(uri, { store: first, cacheDir });
    expect(first.downloads).toHaveLength(6);

    const again = countingStore(store);
    await loadDataset(uri, { store: again, cacheDir });
    expect(again.downloads).toEqual([]);

    // Relabel one annotation with the same size but different content: it comes down again.
    const key = 'datasets/pcb/train_data/Annotations/img-1.xml';
    const xml = (await store.getBuffer(bucket, key))
      .toString('utf8')
      .replace('<xmin>5</xmin>', '<xmin>6</xmin>');
    await store.putObject(bucket, key, xml);
    const third = countingStore(store);
    const ds = await loadDataset(uri, { store: third, cacheDir });
    expect(third.downloads).toEqual([key]);
    expect(parseVoc(await readFile(ds.samples[1]!.annotationPath!, 'utf8'), 'x').objects[0]!.xmin).toBe(6);
  });

  it('keeps each object once, in the content-addressed cache the trainer uses, linked to its dataset path', async () => {
    const cacheDir = join(work, 'cache-3');
    const uri = `s3://${bucket}/datasets/pcb/train_data/index.txt`;
    const ds = await loadDataset(uri, { store, cacheDir });
    const objects = new DatasetCache(store, join(cacheDir, '.objects'));
    const cached = await objects.fetch(bucket, 'datasets/pcb/train_data/JPEGImages/img-2.jpeg');
    expect(objects.getStats()).toEqual({ hits: 1, misses: 0, bytesDownloaded: 0 });
    expect((await stat(ds.samples[2]!.imagePath)).ino).toBe((await stat(cached!)).ino);
  });

  it('uses the S3 settings from the environment when no store is given', async () => {
    const ds = await loadDataset(`s3://${bucket}/datasets/pcb/train_data/index.txt`, {
      cacheDir: join(work, 'cache-env'),
    });
    expect((await stat(ds.samples[0]!.imagePath)).size).toBeGreaterThan(0);
  });

  it('names the index line of an object that does not exist', async () => {
    await store.putObject(
      bucket,
      'broken/index.txt',
      './JPEGImages/a.jpeg\n./JPEGImages/missing.jpeg ./Annotations/m.xml\n',
    );
    await store.putObject(bucket, 'broken/JPEGImages/a.jpeg', 'x');
    const uri = `s3://${bucket}/broken/index.txt`;
    await expect(loadDataset(uri, { store, cacheDir: join(work, 'cache-3') })).rejects.toMatchObject({
      code: 'DATASET_FILE_MISSING',
      file: uri,
      line: 2,
    });
  });

  it('refuses index paths that leave the bucket, and a missing index', async () => {
    await store.putObject(bucket, 'evil/index.txt', '../../../../etc/passwd\n');
    await expect(
      loadDataset(`s3://${bucket}/evil/index.txt`, { store, cacheDir: join(work, 'cache-4') }),
    ).rejects.toMatchObject({
      code: 'INVALID_INDEX',
      line: 1,
    });
    await expect(
      loadDataset(`s3://${bucket}/nothing/index.txt`, { store, cacheDir: join(work, 'cache-4') }),
    ).rejects.toBeInstanceOf(DatasetError);
  });

  it('refuses to upload a file outside the index directory', async () => {
    const dir = join(work, 'outside');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.txt'), '../src/train_data/JPEGImages/img-0.jpeg\n');
    await expect(uploadDataset(join(dir, 'index.txt'), store, bucket, 'x')).rejects.toMatchObject({
      code: 'INVALID_INDEX',
      line: 1,
    });
  });
});

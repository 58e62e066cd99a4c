import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FpnModel,
  FpnWorkerPool,
  writeSyntheticDataset,
  type SyntheticDataset,
} from '../../../../lib/builtin-algorithms/fpn/index.js';
import { loadDataset } from '../../../../lib/dataset/index.js';
import { CorruptImageError } from '../../../../lib/image/index.js';

let dir: string;
let synth: SyntheticDataset;
let model: FpnModel;
const zip = () => join(dir, 'model.zip');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-fpn-pool-'));
  synth = await writeSyntheticDataset(join(dir, 'data'), { images: 3, seed: 9 });
  model = new FpnModel({ preset: 'tiny', max_iteration: 3 });
  await model.train(await loadDataset(synth.indexPath), undefined, { workDir: join(dir, 'work') });
  await model.save(zip());
});

afterAll(async () => {
  await model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('FpnWorkerPool', () => {
  it('serves the same detections as the in-thread model from two worker threads', async () => {
    const pool = await FpnWorkerPool.open(zip(), { workers: 2, backend: 'wasm' });
    try {
      expect(pool.size).toBe(2);
      expect(pool.classes).toEqual(synth.classes);
      const [a, b, c] = await Promise.all(synth.imagePaths.map((p) => pool.detect(p)));
      expect([a, b, c]).toEqual(await Promise.all(synth.imagePaths.map((p) => model.detect(p))));
      expect(await pool.predict(synth.imagePaths)).toEqual(await model.predict(synth.imagePaths));
      const err = await pool
        .detect({ name: 'cam.jpeg', data: Buffer.from('garbage') })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptImageError);
      expect((err as CorruptImageError).code).toBe('CORRUPT_IMAGE');
      expect((err as Error).message).toContain('cam.jpeg');
    } finally {
      await pool.close();
    }
  });

  it('fails to open on a missing model, naming it', async () => {
    await expect(FpnWorkerPool.open(join(dir, 'nope.zip'), { workers: 1 })).rejects.toThrow(/nope\.zip/);
  });
});

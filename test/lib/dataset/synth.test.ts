/**
 * The synthetic PCB-AoI generator: Ianvs layout, valid VOC, deterministic to the byte, and two
 * production lines that look different.
 */
import { readFile, readdir } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { loadDataset, readVocFile } from '../../../lib/dataset/index.js';
import { synthesizeDataset } from '../../../lib/dataset/synth/index.js';

const CLASSES = new Set(['Bad_podu', 'Bad_qiaojiao']);

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  out.set('index.txt', await readFile(join(dir, 'index.txt')));
  for (const sub of ['JPEGImages', 'Annotations'])
    for (const name of await readdir(join(dir, sub)))
      out.set(`${sub}/${name}`, await readFile(join(dir, sub, name)));
  return out;
}

async function meanColour(path: string): Promise<number[]> {
  const { channels } = await sharp(path).stats();
  return channels.slice(0, 3).map((c) => c.mean);
}

describe('synthesizeDataset', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'synth-test-'));
  });

  it('writes an Ianvs split whose every annotation parses, with boxes inside the image', async () => {
    const out = join(root, 'l1-train');
    const result = await synthesizeDataset({ out, line: 1, split: 'train_data', count: 12, seed: 3 });
    expect(result.images).toBe(12);
    const ds = await loadDataset(result.indexPath);
    expect(ds.samples).toHaveLength(12);
    let boxes = 0;
    for (const sample of ds.samples) {
      expect(sample.imagePath).toBe(join(out, 'JPEGImages', basename(sample.imagePath)));
      const annotation = await readVocFile(sample.annotationPath!);
      expect(annotation.filename).toBe(basename(sample.imagePath));
      const meta = await sharp(sample.imagePath).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', annotation.width, annotation.height]);
      for (const o of annotation.objects) {
        expect(CLASSES.has(o.name)).toBe(true);
        expect(o.xmin).toBeGreaterThanOrEqual(1);
        expect(o.ymin).toBeGreaterThanOrEqual(1);
        expect(o.xmin).toBeLessThan(o.xmax);
        expect(o.ymin).toBeLessThan(o.ymax);
        expect(o.xmax).toBeLessThanOrEqual(annotation.width);
        expect(o.ymax).toBeLessThanOrEqual(annotation.height);
        // Defects are small boxes on legs, as in PCB-AoI.
        expect(Math.max(o.xmax - o.xmin, o.ymax - o.ymin)).toBeLessThan(80);
      }
      boxes += annotation.objects.length;
    }
    expect(boxes).toBe(result.boxes);
    expect(result.classes.Bad_podu + result.classes.Bad_qiaojiao).toBe(boxes);
    // About three defects an image, as in PCB-AoI, and both classes present.
    expect(boxes).toBeGreaterThan(12);
    expect(result.classes.Bad_podu).toBeGreaterThan(0);
    expect(result.classes.Bad_qiaojiao).toBeGreaterThan(0);
  });

  it('gives byte-identical files for the same seed, and other images for another seed or split', async () => {
    const a = await filesOf(
      (
        await synthesizeDataset({ out: join(root, 'a'), line: 2, split: 'stream_data', count: 6, seed: 9 })
      ).indexPath.replace(/index\.txt$/, ''),
    );
    const b = await filesOf(
      (
        await synthesizeDataset({ out: join(root, 'b'), line: 2, split: 'stream_data', count: 6, seed: 9 })
      ).indexPath.replace(/index\.txt$/, ''),
    );
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!)).toBe(true);

    const otherSeed = await synthesizeDataset({
      out: join(root, 'c'),
      line: 2,
      split: 'stream_data',
      count: 6,
      seed: 10,
    });
    const otherSplit = await synthesizeDataset({
      out: join(root, 'd'),
      line: 2,
      split: 'test_data',
      count: 6,
      seed: 9,
    });
    const first = (dir: string, split: string) =>
      readFile(join(dir, 'JPEGImages', `line2-${split}-0000.jpeg`));
    const base = await first(join(root, 'a'), 'stream_data');
    expect(base.equals(await first(otherSeed.indexPath.replace(/index\.txt$/, ''), 'stream_data'))).toBe(
      false,
    );
    expect(base.equals(await first(otherSplit.indexPath.replace(/index\.txt$/, ''), 'test_data'))).toBe(
      false,
    );
  });

  it('a larger count only adds images: the first ones stay the same', async () => {
    await synthesizeDataset({ out: join(root, 'small'), line: 1, split: 'test_data', count: 2, seed: 4 });
    await synthesizeDataset({ out: join(root, 'large'), line: 1, split: 'test_data', count: 4, seed: 4 });
    for (const i of ['0000', '0001']) {
      const name = `JPEGImages/line1-test_data-${i}.jpeg`;
      expect(
        (await readFile(join(root, 'small', name))).equals(await readFile(join(root, 'large', name))),
      ).toBe(true);
    }
  });

  it('draws line 2 in another look: another mask colour than line 1', async () => {
    await synthesizeDataset({ out: join(root, 'look1'), line: 1, split: 'x', count: 4, seed: 5 });
    await synthesizeDataset({ out: join(root, 'look2'), line: 2, split: 'x', count: 4, seed: 5 });
    for (let i = 0; i < 4; i++) {
      const [r1, g1, b1] = await meanColour(join(root, 'look1', 'JPEGImages', `line1-x-000${i}.jpeg`));
      const [, g2] = await meanColour(join(root, 'look2', 'JPEGImages', `line2-x-000${i}.jpeg`));
      // Line 1 is a green board; line 2 is blue or black, never green-dominant like line 1.
      expect(g1).toBeGreaterThan(r1 + 30);
      expect(g1).toBeGreaterThan(b1 + 20);
      expect(g2).toBeLessThan(g1 - 30);
    }
  });

  it('refuses an unknown line and a split name that is not a plain name', async () => {
    await expect(
      synthesizeDataset({ out: join(root, 'bad'), line: 3 as 1, split: 'x', count: 1, seed: 1 }),
    ).rejects.toThrow(/unknown production line 3/);
    await expect(
      synthesizeDataset({ out: join(root, 'bad'), line: 1, split: '../x', count: 1, seed: 1 }),
    ).rejects.toThrow(/split name/);
  });
});

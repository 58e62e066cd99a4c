/**
 * The PCB-AoI dataset shipped beside the repo (../shared/datasets/pcb-aoi, found by findPcbAoiDataset), read in place.
 * It exists on every machine this suite runs on, so a missing dataset is a failure, not a skip.
 */
import { basename, join } from 'node:path';
import { findPcbAoiDataset, loadDataset, readVocFile } from '../../../lib/dataset/index.js';

const FOUND = findPcbAoiDataset();
if (!FOUND)
  throw new Error(
    'PCB-AoI dataset not found: set EDGE_STL_PCB_AOI_DIR or place it at ../shared/datasets/pcb-aoi',
  );
const ROOT: string = FOUND;
const CLASSES = new Set(['Bad_podu', 'Bad_qiaojiao']);

describe('PCB-AoI dataset', () => {
  it.each([
    ['train_data', 240],
    ['test_data', 60],
  ])('loads %s/index.txt (%i samples) and parses every annotation', async (split, count) => {
    const index = join(ROOT, split, 'index.txt');
    const ds = await loadDataset(index);
    expect(ds.source).toBe(index);
    expect(ds.samples).toHaveLength(count);
    let objects = 0;
    for (const sample of ds.samples) {
      expect(sample.imagePath).toBe(join(ROOT, split, 'JPEGImages', basename(sample.imagePath)));
      expect(sample.annotationPath).toBe(join(ROOT, split, 'Annotations', basename(sample.annotationPath!)));
      const annotation = await readVocFile(sample.annotationPath!);
      expect(annotation.filename).toBe(basename(sample.imagePath));
      expect([600, 640, 800]).toContain(annotation.width);
      for (const o of annotation.objects) {
        expect(CLASSES.has(o.name)).toBe(true);
        expect(o.xmin).toBeLessThanOrEqual(o.xmax);
        expect(o.xmax).toBeLessThanOrEqual(annotation.width);
        expect(o.ymax).toBeLessThanOrEqual(annotation.height);
      }
      objects += annotation.objects.length;
    }
    expect(objects).toBeGreaterThan(count);
  });

  it('holds 926 boxes over both splits (467 Bad_podu, 459 Bad_qiaojiao)', async () => {
    const counts = new Map<string, number>();
    for (const split of ['train_data', 'test_data']) {
      for (const s of (await loadDataset(join(ROOT, split, 'index.txt'))).samples) {
        for (const o of (await readVocFile(s.annotationPath!)).objects)
          counts.set(o.name, (counts.get(o.name) ?? 0) + 1);
      }
    }
    expect(Object.fromEntries(counts)).toEqual({ Bad_podu: 467, Bad_qiaojiao: 459 });
  });
});

import { jest } from '@jest/globals';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../cli/commands/dataset.js';
import { writeSyntheticDataset } from '../../../lib/builtin-algorithms/fpn/synthetic-dataset.js';
import { checkDataset, checkIndex } from '../../../lib/dataset/check.js';
import { formatVoc, readVocFile } from '../../../lib/dataset/index.js';

let dir: string;
let good: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-check-'));
  good = join(dir, 'good');
  await writeSyntheticDataset(join(good, 'train_data'), { images: 5, seed: 7 });
  await writeSyntheticDataset(join(good, 'test_data'), { images: 3, seed: 8, format: 'png' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the good train split to break. */
async function copyOfTrain(name: string): Promise<string> {
  const split = join(dir, name);
  await cp(join(good, 'train_data'), split, { recursive: true });
  return split;
}

/** Runs `edge-stl dataset ...` and captures its exit code, stdout and stderr. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await run(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('edge-stl dataset check', () => {
  it('a sound dataset root: both splits checked, counts per class, exit 0', async () => {
    const reports = await checkDataset(good);
    expect(reports.map((r) => r.index)).toEqual([
      join(good, 'test_data', 'index.txt'),
      join(good, 'train_data', 'index.txt'),
    ]);
    for (const r of reports) {
      expect(r.problems).toEqual([]);
      expect(r.boxes).toBeGreaterThan(0);
      expect(Object.values(r.perClass).reduce((a, b) => a + b, 0)).toBe(r.boxes);
    }
    expect(reports.map((r) => r.images)).toEqual([3, 5]);

    const { code, out, err } = await cli('check', join(good, 'train_data', 'index.txt'));
    expect(err).toBe('');
    expect(code).toBe(0);
    const train = reports[1]!;
    expect(out).toContain(`${train.index}: 5 images, 5 annotated, ${train.boxes} boxes`);
    for (const [name, n] of Object.entries(train.perClass))
      expect(out).toMatch(new RegExp(`${name}\\s+${n}\\n?`));
  });

  it('every fault is reported with its file, and the exit code is 1', async () => {
    const split = await copyOfTrain('broken');
    const img = (i: number) => join(split, 'JPEGImages', `synthetic-000${i}.jpeg`);
    const xml = (i: number) => join(split, 'Annotations', `synthetic-000${i}.xml`);
    // 0: a JPEG cut in half (its header still reads); 1: not an image at all.
    const jpeg = await readFile(img(0));
    await writeFile(img(0), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await writeFile(img(1), 'not an image');
    // 2: a box past the right edge and an unknown class; 3: annotation that does not parse.
    const voc = await readVocFile(xml(2));
    voc.objects[0] = { ...voc.objects[0]!, xmax: voc.width + 5 };
    voc.objects.push({ name: 'Scratch', xmin: 1, ymin: 1, xmax: 4, ymax: 4 });
    await writeFile(xml(2), formatVoc(voc));
    await writeFile(xml(3), '<annotation><size><width>128</width>');
    // 4: the annotation's size is not the image's.
    const other = await readVocFile(xml(4));
    await writeFile(xml(4), formatVoc({ ...other, width: other.width * 2 }));

    const report = await checkIndex(join(split, 'index.txt'));
    const byFile = (f: string) => report.problems.filter((p) => p.file === f).map((p) => p.message);
    expect(byFile(img(0))).toEqual([expect.stringMatching(/image data is corrupt/)]);
    expect(byFile(img(1))).toEqual([expect.stringMatching(/not a readable image/)]);
    expect(byFile(xml(2))).toEqual([
      expect.stringMatching(/#1 .* lies outside the 128x96 image/),
      expect.stringMatching(/#\d+ \(Scratch\): unknown class; known: Bad_podu, Bad_qiaojiao/),
    ]);
    expect(byFile(xml(3))).toEqual([expect.stringMatching(/Invalid VOC annotation/)]);
    expect(byFile(xml(4))).toEqual([expect.stringMatching(/<size> says 256x96, the image is 128x96/)]);
    expect(report.problems).toHaveLength(6);
    expect(report.images).toBe(5);

    const { code, err } = await cli('check', split);
    expect(code).toBe(1);
    for (const f of [img(0), img(1), xml(2), xml(3), xml(4)]) expect(err).toContain(f);
    expect(err).toMatch(/6 errors$/);
  });

  it('a missing image and a bad index line are named too', async () => {
    const split = await copyOfTrain('missing');
    await rm(join(split, 'JPEGImages', 'synthetic-0001.jpeg'));
    let report = await checkIndex(join(split, 'index.txt'));
    expect(report.problems).toEqual([
      {
        file: join(split, 'JPEGImages', 'synthetic-0001.jpeg'),
        message: expect.stringMatching(/index\.txt:2: .*file cannot be read/),
      },
    ]);
    await writeFile(join(split, 'index.txt'), 'a.jpeg b.xml c\n');
    report = await checkIndex(join(split, 'index.txt'));
    expect(report.problems).toEqual([
      {
        file: join(split, 'index.txt'),
        message: expect.stringMatching(/index\.txt:1: expected "image \[annotation\]"/),
      },
    ]);
  });

  it('--classes replaces the known classes', async () => {
    const target = join(good, 'test_data');
    expect((await cli('check', target, '--classes', 'Bad_podu,Bad_qiaojiao,Other')).code).toBe(0);
    const [report] = await checkDataset(target, { classes: ['Other'] });
    expect(report!.problems).toHaveLength(report!.boxes);
    const { code, err } = await cli('check', target, '--classes', 'Other');
    expect(code).toBe(1);
    expect(err).toMatch(/\((Bad_podu|Bad_qiaojiao)\): unknown class; known: Other/);
  });

  it('misuse: no target, a path that does not exist', async () => {
    await expect(run(['check'])).rejects.toThrow(/one DIR or INDEX/);
    await expect(run(['check', join(dir, 'nope')])).rejects.toThrow(/does not exist/);
    await expect(run(['check', good, '--classes', ','])).rejects.toThrow(/comma-separated/);
  });
});

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DatasetError,
  formatIndex,
  loadDataset,
  parseIndex,
  parseIndexLines,
  readIndexFile,
  writeIndexFile,
} from '../../../lib/dataset/index.js';

describe('parseIndex', () => {
  it('resolves paths against the index directory, as Ianvs (abspath(join(root, word)))', () => {
    const text = './JPEGImages/x.jpeg ./Annotations/x.xml\nJPEGImages/y.jpeg Annotations/y.xml\n';
    expect(parseIndex(text, '/data/train')).toEqual([
      { imagePath: '/data/train/JPEGImages/x.jpeg', annotationPath: '/data/train/Annotations/x.xml' },
      { imagePath: '/data/train/JPEGImages/y.jpeg', annotationPath: '/data/train/Annotations/y.xml' },
    ]);
  });

  it('keeps absolute paths, normalises "..", and accepts image-only (unlabeled) lines', () => {
    const text = '/abs/img.jpeg /abs/img.xml\n../shared/z.jpeg\n';
    expect(parseIndex(text, '/data/train')).toEqual([
      { imagePath: '/abs/img.jpeg', annotationPath: '/abs/img.xml' },
      { imagePath: '/data/shared/z.jpeg' },
    ]);
  });

  it('tolerates blank lines, trailing spaces, tabs and CRLF', () => {
    const text = '\n./a.jpeg ./a.xml   \r\n\r\n   \n\t./b.jpeg\t./b.xml\r\n\n';
    expect(parseIndex(text, '/d')).toEqual([
      { imagePath: '/d/a.jpeg', annotationPath: '/d/a.xml' },
      { imagePath: '/d/b.jpeg', annotationPath: '/d/b.xml' },
    ]);
    expect(parseIndexLines(text, 'i.txt').map((l) => l.line)).toEqual([2, 5]);
  });

  it('rejects a malformed line with a DatasetError naming file and line number', () => {
    const text = './a.jpeg ./a.xml\n\n./b c.jpeg ./b.xml\n';
    let error: unknown;
    try {
      parseIndex(text, '/d', '/d/index.txt');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ code: 'INVALID_INDEX', file: '/d/index.txt', line: 3 });
    expect((error as Error).message).toContain('/d/index.txt:3');
  });

  it('returns nothing for an empty file', () => {
    expect(parseIndex('', '/d')).toEqual([]);
    expect(parseIndex('\n\n', '/d')).toEqual([]);
  });
});

describe('formatIndex', () => {
  it('writes Ianvs lines relative to the base directory', () => {
    const entries = [
      { imagePath: '/data/train/JPEGImages/x.jpeg', annotationPath: '/data/train/Annotations/x.xml' },
      { imagePath: '/data/other/y.jpeg' },
    ];
    const text = formatIndex(entries, '/data/train');
    expect(text).toBe('./JPEGImages/x.jpeg ./Annotations/x.xml\n../other/y.jpeg\n');
    expect(parseIndex(text, '/data/train')).toEqual(entries);
  });

  it('refuses paths with whitespace, which an index cannot carry', () => {
    expect(() => formatIndex([{ imagePath: '/d/a b.jpeg' }], '/d')).toThrow(DatasetError);
  });
});

describe('index files on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'index-file-'));
    await mkdir(join(dir, 'JPEGImages'));
    await mkdir(join(dir, 'Annotations'));
    await writeFile(join(dir, 'JPEGImages', 'a.jpeg'), 'a');
    await writeFile(join(dir, 'Annotations', 'a.xml'), '<annotation/>');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes and reads back an index (write is atomic: no temp file left)', async () => {
    const entries = [
      { imagePath: join(dir, 'JPEGImages', 'a.jpeg'), annotationPath: join(dir, 'Annotations', 'a.xml') },
    ];
    await writeIndexFile(join(dir, 'index.txt'), entries);
    expect(await readFile(join(dir, 'index.txt'), 'utf8')).toBe('./JPEGImages/a.jpeg ./Annotations/a.xml\n');
    expect(await readIndexFile(join(dir, 'index.txt'))).toEqual(entries);
  });

  it('loadDataset returns local absolute paths and the source', async () => {
    await writeFile(join(dir, 'index.txt'), './JPEGImages/a.jpeg ./Annotations/a.xml\n');
    const ds = await loadDataset(join(dir, 'index.txt'));
    expect(ds).toEqual({
      source: join(dir, 'index.txt'),
      samples: [
        { imagePath: join(dir, 'JPEGImages', 'a.jpeg'), annotationPath: join(dir, 'Annotations', 'a.xml') },
      ],
    });
  });

  it('loadDataset names the index line of a missing file', async () => {
    await writeFile(
      join(dir, 'broken.txt'),
      './JPEGImages/a.jpeg ./Annotations/a.xml\n./JPEGImages/gone.jpeg ./Annotations/a.xml\n',
    );
    await expect(loadDataset(join(dir, 'broken.txt'))).rejects.toMatchObject({
      code: 'DATASET_FILE_MISSING',
      line: 2,
      message: expect.stringContaining('gone.jpeg'),
    });
    // verify: false skips the check (for callers that stream files lazily).
    await expect(loadDataset(join(dir, 'broken.txt'), { verify: false })).resolves.toMatchObject({
      samples: expect.any(Array),
    });
  });

  it('reports a missing index file', async () => {
    await expect(readIndexFile(join(dir, 'nope.txt'))).rejects.toMatchObject({
      code: 'DATASET_FILE_MISSING',
    });
    await expect(loadDataset(join(dir, 'nope.txt'))).rejects.toBeInstanceOf(DatasetError);
  });
});

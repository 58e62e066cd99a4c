import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { MODEL_MANIFEST_FORMAT, type ModelManifest } from '../../../lib/model-package/manifest.js';
import { ModelPackageError } from '../../../lib/model-package/model-package-error.js';
import { readManifest, readModelPackage } from '../../../lib/model-package/read-model-package.js';
import { sha256File } from '../../../lib/model-package/sha256.js';
import { writeModelPackage } from '../../../lib/model-package/write-model-package.js';
import { rawZip, type RawZipEntry } from './raw-zip.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'edge-stl-pkg-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const baseManifest: Omit<ModelManifest, 'files'> = {
  formatVersion: MODEL_MANIFEST_FORMAT,
  algorithm: 'FPN',
  classes: ['open', 'short', 'mousebite'],
  inputShortSide: 640,
  hyperparameters: { learning_rate: 0.01, momentum: 0.9, max_iteration: 100 },
  metrics: { f1_score: 0.8123 },
  parentVersion: null,
  createdAt: '2026-11-26T18:00:00.000Z',
};

async function makeCheckpoint(dir: string): Promise<void> {
  await mkdir(join(dir, 'weights'), { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model' }));
  await writeFile(join(dir, 'weights', 'group1-shard1of2.bin'), Buffer.alloc(200_000, 7));
  await writeFile(join(dir, 'weights', 'group1-shard2of2.bin'), Buffer.from('tail'));
  await writeFile(join(dir, 'B-upper.txt'), 'sorts before lower-case');
}

const manifestEntry = (files: string[], overrides: Partial<ModelManifest> = {}): RawZipEntry => ({
  name: 'manifest.json',
  data: JSON.stringify({ ...baseManifest, files, ...overrides }),
});

/** Writes `entries` as a zip, tries to extract it and returns the error; asserts nothing was extracted. */
async function refusal(entries: RawZipEntry[] | Buffer, limits = {}): Promise<ModelPackageError> {
  const zipPath = join(root, 'bad.zip');
  await writeFile(zipPath, Buffer.isBuffer(entries) ? entries : rawZip(entries));
  const outParent = join(root, 'out');
  await mkdir(outParent, { recursive: true });
  const dest = join(outParent, 'model');
  let error: unknown;
  try {
    await readModelPackage(zipPath, dest, limits);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ModelPackageError);
  // Nothing extracted, no temporary directory left, nothing escaped above the destination.
  expect(await readdir(outParent)).toEqual([]);
  expect((await readdir(root)).sort()).toEqual(['bad.zip', 'out']);
  return error as ModelPackageError;
}

describe('writeModelPackage / readModelPackage round trip', () => {
  test('packs manifest + sorted checkpoint files and extracts them byte-identical', async () => {
    const ckpt = join(root, 'ckpt');
    await makeCheckpoint(ckpt);
    const written = await writeModelPackage({
      dir: ckpt,
      manifest: baseManifest,
      out: join(root, 'pkg', 'model.zip'),
    });
    expect(written.manifest.files).toEqual([
      'B-upper.txt',
      'model.json',
      'weights/group1-shard1of2.bin',
      'weights/group1-shard2of2.bin',
    ]);
    expect(written.sha256).toBe(await sha256File(written.path));
    expect(written.sha256).toBe(
      createHash('sha256')
        .update(await readFile(written.path))
        .digest('hex'),
    );
    expect(written.size).toBe((await readFile(written.path)).length);
    expect(await readdir(join(root, 'pkg'))).toEqual(['model.zip']);

    expect(await readManifest(written.path)).toEqual(written.manifest);
    // Weights are stored (0), text is deflated (8), manifest first.
    const zip = await yauzl.openPromise(written.path, { lazyEntries: true });
    const methods = await new Promise<Record<string, number>>((done) => {
      const out: Record<string, number> = {};
      zip.on('entry', (e: yauzl.Entry) => {
        out[e.fileName] = e.compressionMethod;
        zip.readEntry();
      });
      zip.on('end', () => done(out));
      zip.readEntry();
    });
    zip.close();
    expect(Object.keys(methods)[0]).toBe('manifest.json');
    expect(methods).toMatchObject({
      'model.json': 8,
      'weights/group1-shard1of2.bin': 0,
      'weights/group1-shard2of2.bin': 0,
    });

    const dest = join(root, 'extracted', 'v1');
    const extracted = await readModelPackage(written.path, dest);
    expect(extracted.manifest).toEqual(written.manifest);
    expect(extracted.files.sort()).toEqual(['manifest.json', ...written.manifest.files].sort());
    for (const file of written.manifest.files) {
      expect(await readFile(join(dest, file))).toEqual(await readFile(join(ckpt, file)));
    }
    expect(extracted.totalBytes).toBe(
      200_000 + 4 + 23 + 25 + (await readFile(join(dest, 'manifest.json'))).length,
    );
    expect(await readdir(join(root, 'extracted'))).toEqual(['v1']);
  });

  test('equal input gives equal bytes, whatever the files’ timestamps', async () => {
    const a = join(root, 'a');
    await makeCheckpoint(a);
    const first = await writeModelPackage({ dir: a, manifest: baseManifest, out: join(root, 'one.zip') });
    await utimes(join(a, 'model.json'), new Date('2001-02-03'), new Date('2001-02-03'));
    const second = await writeModelPackage({ dir: a, manifest: baseManifest, out: join(root, 'two.zip') });
    expect(second.sha256).toBe(first.sha256);
    expect(await readFile(join(root, 'two.zip'))).toEqual(await readFile(join(root, 'one.zip')));
    const other = await writeModelPackage({
      dir: a,
      manifest: { ...baseManifest, metrics: { f1_score: 0.9 } },
      out: join(root, 'three.zip'),
    });
    expect(other.sha256).not.toBe(first.sha256);
  });

  test('extracts into an existing empty directory but refuses a non-empty one', async () => {
    const ckpt = join(root, 'ckpt');
    await makeCheckpoint(ckpt);
    const { path } = await writeModelPackage({
      dir: ckpt,
      manifest: baseManifest,
      out: join(root, 'model.zip'),
    });
    await mkdir(join(root, 'empty'));
    await readModelPackage(path, join(root, 'empty'));
    expect(existsSync(join(root, 'empty', 'model.json'))).toBe(true);
    await expect(readModelPackage(path, join(root, 'empty'))).rejects.toMatchObject({ code: 'DEST_EXISTS' });
  });

  test('refuses to pack a symlink or a checkpoint that already has manifest.json', async () => {
    const ckpt = join(root, 'ckpt');
    await makeCheckpoint(ckpt);
    await symlink('/etc/passwd', join(ckpt, 'weights', 'link.bin'));
    await expect(
      writeModelPackage({ dir: ckpt, manifest: baseManifest, out: join(root, 'x.zip') }),
    ).rejects.toMatchObject({
      code: 'SYMLINK',
    });
    await rm(join(ckpt, 'weights', 'link.bin'));
    await writeFile(join(ckpt, 'manifest.json'), '{}');
    await expect(
      writeModelPackage({ dir: ckpt, manifest: baseManifest, out: join(root, 'x.zip') }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(existsSync(join(root, 'x.zip'))).toBe(false);
  });

  test('refuses an invalid manifest before writing anything', async () => {
    const ckpt = join(root, 'ckpt');
    await makeCheckpoint(ckpt);
    const bad = { ...baseManifest, classes: [], inputShortSide: -1 };
    await expect(
      writeModelPackage({ dir: ckpt, manifest: bad, out: join(root, 'x.zip') }),
    ).rejects.toMatchObject({
      code: 'INVALID_MANIFEST',
      message: expect.stringMatching(
        /classes must be a non-empty array.*inputShortSide must be a positive integer/,
      ),
    });
    expect(existsSync(join(root, 'x.zip'))).toBe(false);
  });
});

describe('readModelPackage refuses unsafe packages and extracts nothing', () => {
  const weights = { name: 'weights.bin', data: 'w' };

  test.each([
    ['../evil.txt', 'path traversal'],
    ['weights/../../evil.txt', 'path traversal'],
    ['/tmp/evil.txt', 'absolute path'],
    ['C:/evil.txt', 'absolute path'],
    ['..\\evil.txt', 'backslash'],
    ['weights\\..\\..\\evil.txt', 'backslash'],
    ['./evil.txt', 'empty or "." path segment'],
    ['weights//evil.txt', 'empty or "." path segment'],
    ['evil\u0000.txt', 'control character'],
  ])('entry %j → UNSAFE_PATH (%s)', async (name, why) => {
    const error = await refusal([manifestEntry(['weights.bin', name]), weights, { name, data: 'pwned' }]);
    expect(error.code).toBe('UNSAFE_PATH');
    expect(error.message).toContain(why);
    expect(existsSync(join(root, 'evil.txt'))).toBe(false);
    expect(existsSync('/tmp/evil.txt')).toBe(false);
  });

  test('a non-ASCII name without the UTF-8 flag → UNSAFE_PATH', async () => {
    const error = await refusal([
      manifestEntry([]),
      { name: Buffer.from([0x61, 0xe9, 0x2e, 0x62]), utf8: false },
    ]);
    expect(error.code).toBe('UNSAFE_PATH');
  });

  test('a symlink entry (Unix mode in external attributes) → SYMLINK', async () => {
    const error = await refusal([
      manifestEntry(['weights.bin', 'link']),
      weights,
      { name: 'link', data: '/etc/passwd', mode: 0o120777 },
    ]);
    expect(error).toMatchObject({ code: 'SYMLINK', message: expect.stringContaining('"link"') });
  });

  test('a symlink made by yazl → SYMLINK', async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from(JSON.stringify({ ...baseManifest, files: ['model.json'] })), 'manifest.json');
    zip.addBuffer(Buffer.from('../../../../etc/passwd'), 'model.json', { mode: 0o120777 });
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const error = await refusal(Buffer.concat(chunks));
    expect(error.code).toBe('SYMLINK');
  });

  test('a device or FIFO entry → UNSUPPORTED_ENTRY', async () => {
    const error = await refusal([manifestEntry(['fifo']), { name: 'fifo', mode: 0o010644 }]);
    expect(error.code).toBe('UNSUPPORTED_ENTRY');
  });

  test('a duplicate name → DUPLICATE_ENTRY', async () => {
    const error = await refusal([
      manifestEntry(['weights.bin']),
      weights,
      { name: 'weights.bin', data: 'second' },
    ]);
    expect(error).toMatchObject({
      code: 'DUPLICATE_ENTRY',
      message: expect.stringContaining('"weights.bin"'),
    });
  });

  test('a name that is both a file and a directory → DUPLICATE_ENTRY', async () => {
    const error = await refusal([
      manifestEntry(['w', 'w/x']),
      { name: 'w', data: 'file' },
      { name: 'w/x', data: 'x' },
    ]);
    expect(error.code).toBe('DUPLICATE_ENTRY');
  });

  test('more entries than the limit → TOO_MANY_ENTRIES', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const error = await refusal([manifestEntry(names), ...names.map((name) => ({ name, data: name }))], {
      maxEntries: 4,
    });
    expect(error.code).toBe('TOO_MANY_ENTRIES');
  });

  test('an entry declared over the entry limit → ENTRY_TOO_LARGE', async () => {
    const error = await refusal(
      [manifestEntry(['big.bin']), { name: 'big.bin', data: Buffer.alloc(2000), deflate: true }],
      {
        maxEntryBytes: 1000,
      },
    );
    expect(error).toMatchObject({ code: 'ENTRY_TOO_LARGE', message: expect.stringContaining('2000 bytes') });
  });

  test('entries over the total limit together → TOTAL_TOO_LARGE', async () => {
    const files = ['a.bin', 'b.bin', 'c.bin'];
    const error = await refusal(
      [manifestEntry(files), ...files.map((name) => ({ name, data: Buffer.alloc(600), deflate: true }))],
      { maxTotalBytes: 1500 },
    );
    expect(error.code).toBe('TOTAL_TOO_LARGE');
  });

  test('an entry that inflates beyond its declared size (zip bomb) → SIZE_MISMATCH mid-stream', async () => {
    const error = await refusal([
      manifestEntry(['a.bin', 'bomb.bin']),
      { name: 'a.bin', data: 'extracted first, then removed' },
      { name: 'bomb.bin', data: Buffer.alloc(5 * 1024 * 1024), deflate: true, declaredSize: 1024 },
    ]);
    expect(error).toMatchObject({
      code: 'SIZE_MISMATCH',
      message: expect.stringContaining('more than its declared 1024 bytes'),
    });
  });

  test('an entry shorter than declared → SIZE_MISMATCH', async () => {
    const error = await refusal([
      manifestEntry(['a.bin']),
      { name: 'a.bin', data: Buffer.alloc(100), deflate: true, declaredSize: 200 },
    ]);
    expect(error).toMatchObject({
      code: 'SIZE_MISMATCH',
      message: expect.stringContaining('holds 100 bytes, declared 200'),
    });
  });

  test('no manifest.json → MISSING_MANIFEST', async () => {
    expect((await refusal([weights])).code).toBe('MISSING_MANIFEST');
  });

  test('manifest.json that is not JSON, misses fields, or disagrees with the zip → INVALID_MANIFEST', async () => {
    expect(await refusal([{ name: 'manifest.json', data: '{not json' }, weights])).toMatchObject({
      code: 'INVALID_MANIFEST',
      message: 'manifest.json is not valid JSON',
    });
    expect(
      await refusal([
        { name: 'manifest.json', data: JSON.stringify({ formatVersion: 2, files: ['weights.bin'] }) },
        weights,
      ]),
    ).toMatchObject({
      code: 'INVALID_MANIFEST',
      message: expect.stringMatching(/formatVersion must be 1.*algorithm must be/),
    });
    expect(
      await refusal([manifestEntry(['weights.bin', 'absent.bin']), weights, { name: 'extra.bin' }]),
    ).toMatchObject({
      code: 'INVALID_MANIFEST',
      message: expect.stringMatching(/listed but absent: absent\.bin; present but unlisted: extra\.bin/),
    });
  });

  test('bytes that are not a zip → NOT_A_ZIP', async () => {
    expect((await refusal(Buffer.from('PK but not really a zip file at all'))).code).toBe('NOT_A_ZIP');
  });

  test('readManifest refuses the same packages without extracting', async () => {
    const zipPath = join(root, 'trav.zip');
    await writeFile(zipPath, rawZip([manifestEntry(['../x']), { name: '../x', data: 'x' }]));
    await expect(readManifest(zipPath)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await writeFile(zipPath, rawZip([manifestEntry(['l']), { name: 'l', mode: 0o120777 }]));
    await expect(readManifest(zipPath)).rejects.toMatchObject({ code: 'SYMLINK' });
  });

  test('a directory entry is fine and ends up as a directory', async () => {
    const zipPath = join(root, 'dirs.zip');
    await writeFile(
      zipPath,
      rawZip([
        manifestEntry(['sub/w.bin']),
        { name: 'sub/', mode: 0o040755 },
        { name: 'sub/w.bin', data: 'w' },
      ]),
    );
    const out = await readModelPackage(zipPath, join(root, 'dest'));
    expect(out.files.sort()).toEqual(['manifest.json', 'sub/w.bin']);
    expect(await readFile(join(root, 'dest', 'sub', 'w.bin'), 'utf8')).toBe('w');
  });
});

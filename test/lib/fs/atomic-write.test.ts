import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isTempFile, replaceFile, tempPathBeside, writeFileAtomic } from '../../../lib/fs/atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-write-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it.each([{}, { durable: true }])('replaces the file and leaves no temp file (%j)', async (options) => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'old', options);
    await writeFileAtomic(path, Buffer.from('new'), options);
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('removes its temp file and keeps the old content when the rename fails', async () => {
    const path = join(dir, 'taken');
    await mkdir(join(path, 'child'), { recursive: true });
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });
});

describe('replaceFile', () => {
  it('renames what fill wrote over the target, with the temp beside it', async () => {
    const path = join(dir, 'model.zip');
    let seen = '';
    await replaceFile(
      path,
      async (temp) => {
        seen = temp;
        await writeFile(temp, 'zip');
      },
      { tempSuffix: 'part' },
    );
    expect(dirname(seen)).toBe(dir);
    expect(seen.endsWith('.part')).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('zip');
    expect(await readdir(dir)).toEqual(['model.zip']);
  });

  it('keeps the old file and removes the partial one when fill fails', async () => {
    const path = join(dir, 'data.bin');
    await writeFile(path, 'old');
    const failure = new Error('stream broke');
    await expect(
      replaceFile(
        path,
        async (temp) => {
          await writeFile(temp, 'half');
          throw failure;
        },
        { durable: true },
      ),
    ).rejects.toBe(failure);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['data.bin']);
  });
});

describe('temp names', () => {
  it('are unique, beside the target, and recognised by isTempFile', () => {
    const a = tempPathBeside('/x/y/file.json');
    const b = tempPathBeside('/x/y/file.json');
    expect(a).not.toBe(b);
    expect(dirname(a)).toBe('/x/y');
    expect(isTempFile(a)).toBe(true);
    expect(isTempFile('/x/y/file.json')).toBe(false);
  });
});

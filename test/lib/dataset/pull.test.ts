import { jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { run } from '../../../cli/commands/dataset.js';
import { writeSyntheticDataset } from '../../../lib/builtin-algorithms/fpn/synthetic-dataset.js';
import { byteProgressBar } from '../../../lib/cli/byte-progress.js';
import { checkDataset } from '../../../lib/dataset/check.js';
import { DatasetArchiveError, defaultDatasetsDir, pullDataset } from '../../../lib/dataset/pull.js';
import { DownloadError } from '../../../lib/net/download.js';
import { rawZip, type RawZipEntry } from '../model-package/raw-zip.js';

/** What the archive server saw: one row per request. */
interface Served {
  range: string | undefined;
  bytes: number;
}

/**
 * Serves one archive with Range support. While `cuts` is above zero, a response stops after
 * `cutAfter` bytes and the socket is dropped: a connection lost mid-download.
 */
function archiveServer(body: Buffer) {
  const served: Served[] = [];
  const state = { body, cuts: 0, cutAfter: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const rest = state.body.subarray(start);
    const row: Served = { range: req.headers.range, bytes: 0 };
    served.push(row);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': rest.length,
      ...(start > 0
        ? { 'content-range': `bytes ${start}-${state.body.length - 1}/${state.body.length}` }
        : {}),
    });
    if (state.cuts > 0) {
      state.cuts -= 1;
      row.bytes = state.cutAfter;
      res.write(rest.subarray(0, state.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    row.bytes = rest.length;
    res.end(rest);
  });
  return {
    served,
    state,
    async start(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/ianvs/pcb-aoi/dataset.zip`;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function filesUnder(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path, root)));
    else out.push(relative(root, path));
  }
  return out.sort();
}

let work: string;
let source: string;
/** Every file of the generated dataset as zip entries, under `prefix`. */
let entries: (prefix: string) => Promise<RawZipEntry[]>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'edge-stl-pull-'));
  source = join(work, 'source');
  await writeSyntheticDataset(join(source, 'train_data'), { images: 6, seed: 21 });
  await writeSyntheticDataset(join(source, 'test_data'), { images: 3, seed: 22 });
  entries = async (prefix) =>
    Promise.all(
      (await filesUnder(source)).map(async (name) => ({
        name: `${prefix}${name}`,
        data: await readFile(join(source, name)),
        deflate: true,
      })),
    );
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('dataset pull', () => {
  let dir: string;
  let server: ReturnType<typeof archiveServer>;
  beforeEach(async () => {
    dir = await mkdtemp(join(work, 'cache-'));
  });
  afterEach(async () => {
    await server?.close();
  });

  it('a download cut in the middle resumes from its .part file with Range, and unpacks a checked dataset', async () => {
    const zip = rawZip(await entries('dataset/'));
    server = archiveServer(zip);
    const url = await server.start();
    const cutAfter = Math.floor(zip.length / 2);
    Object.assign(server.state, { cuts: 1, cutAfter });

    // One attempt only: the run dies with the connection, as a killed `pull` would.
    await expect(pullDataset('pcb-aoi', { dir, url, attempts: 1 })).rejects.toThrow(DownloadError);
    expect((await stat(join(dir, 'pcb-aoi.zip.part'))).size).toBe(cutAfter);
    expect(await readdir(dir)).toEqual(['pcb-aoi.zip.part']);
    // A run killed while unpacking left its staging directory: the next run clears it.
    await mkdir(join(dir, '.pcb-aoi.unpack-killed', 'content'), { recursive: true });
    await writeFile(join(dir, '.pcb-aoi.unpack-killed', 'content', 'half.jpeg'), 'half');

    const progress: Array<[number, number | null]> = [];
    const pulled = await pullDataset('pcb-aoi', { dir, url, onProgress: (b, t) => progress.push([b, t]) });
    expect(server.served).toEqual([
      { range: undefined, bytes: cutAfter },
      { range: `bytes=${cutAfter}-`, bytes: zip.length - cutAfter },
    ]);
    expect(server.served.reduce((n, s) => n + s.bytes, 0)).toBe(zip.length);
    expect(progress.at(-1)).toEqual([zip.length, zip.length]);
    expect(progress[0]![0]).toBeGreaterThan(cutAfter);

    // The archive's one top-level folder is lifted; the archive itself is gone.
    expect(pulled).toMatchObject({ root: join(dir, 'pcb-aoi'), fetched: true, requests: 1 });
    expect(await readdir(dir)).toEqual(['pcb-aoi']);
    expect(await filesUnder(pulled.root)).toEqual(await filesUnder(source));
    const reports = await checkDataset(pulled.root);
    expect(reports.map((r) => [r.images, r.problems.length])).toEqual([
      [3, 0],
      [6, 0],
    ]);

    // Already there: nothing is fetched again.
    const again = await pullDataset('pcb-aoi', { dir, url });
    expect(again.fetched).toBe(false);
    expect(server.served).toHaveLength(2);
  });

  it('a corrupt archive is refused: nothing half-unpacked, no archive, no staging directory left', async () => {
    const zip = rawZip(await entries(''));
    // Overwrite bytes in the middle of the archive: entries before them unpack, a later one cannot.
    const corrupt = Buffer.from(zip);
    corrupt.fill(0xff, Math.floor(zip.length * 0.6), Math.floor(zip.length * 0.6) + 256);
    server = archiveServer(corrupt);
    const url = await server.start();
    const err = await pullDataset('pcb-aoi', { dir, url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetArchiveError);
    // Refused while unpacking (earlier entries were already written), not at the central directory.
    expect((err as Error).message).toMatch(
      /pcb-aoi\.zip refused: Entry "[^"]+" holds corrupt compressed data/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    [
      'a path that climbs out',
      [{ name: '../escape.txt', data: 'x' }],
      /refused: Unsafe entry name "\.\.\/escape\.txt": path traversal/,
    ],
    ['a symlink', [{ name: 'train_data/link', mode: 0o120777, data: '/etc/passwd' }], /refused: .*symlink/],
    ['no test_data split', 'no-test', /not an Ianvs pcb-aoi dataset: .*test_data\/index\.txt/],
    [
      'an index naming a missing file',
      'missing-file',
      /not an Ianvs pcb-aoi dataset: .*missing-0000\.jpeg is missing/,
    ],
  ] as const)('an archive with %s is refused and leaves nothing', async (_what, extra, message) => {
    let list = await entries('');
    if (extra === 'no-test') list = list.filter((e) => !String(e.name).startsWith('test_data/'));
    else if (extra === 'missing-file')
      list = list.map((e) =>
        e.name === 'test_data/index.txt' ? { ...e, data: './JPEGImages/missing-0000.jpeg\n' } : e,
      );
    else list = [...list, ...extra];
    server = archiveServer(rawZip(list));
    const url = await server.start();
    await expect(pullDataset('pcb-aoi', { dir, url })).rejects.toThrow(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it('the CLI: --url, else EDGE_STL_PCB_AOI_URL; default target under $XDG_CACHE_HOME; JSON last', async () => {
    server = archiveServer(rawZip(await entries('')));
    const url = await server.start();
    const saved = { url: process.env.EDGE_STL_PCB_AOI_URL, xdg: process.env.XDG_CACHE_HOME };
    const out: string[] = [];
    const log = jest
      .spyOn(console, 'log')
      .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      process.env.EDGE_STL_PCB_AOI_URL = url;
      process.env.XDG_CACHE_HOME = dir;
      expect(await run(['pull', 'pcb-aoi'])).toBe(0);
      const root = join(dir, 'edge-stl', 'datasets', 'pcb-aoi');
      expect(JSON.parse(out.at(-1)!)).toEqual({
        root,
        train_index: join(root, 'train_data', 'index.txt'),
        test_index: join(root, 'test_data', 'index.txt'),
        fetched: true,
      });
      process.env.EDGE_STL_PCB_AOI_URL = 'http://127.0.0.1:1/nothing-listens-here.zip';
      expect(await run(['pull', 'pcb-aoi', '--dir', join(dir, 'other'), '--url', url])).toBe(0);
      expect(JSON.parse(out.at(-1)!).root).toBe(join(dir, 'other', 'pcb-aoi'));
      expect(server.served).toHaveLength(2);
    } finally {
      log.mockRestore();
      error.mockRestore();
      for (const [key, value] of [
        ['EDGE_STL_PCB_AOI_URL', saved.url],
        ['XDG_CACHE_HOME', saved.xdg],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    await expect(run(['pull', 'imagenet'])).rejects.toThrow(/known: pcb-aoi/);
    await expect(run(['pull', 'pcb-aoi', '--url', 'ftp://x/y.zip'])).rejects.toThrow(
      /http:\/\/ or https:\/\//,
    );
  });

  it('the default directory follows XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultDatasetsDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/edge-stl/datasets');
    expect(defaultDatasetsDir({})).toMatch(/\/\.cache\/edge-stl\/datasets$/);
    // The XDG spec ignores a relative path.
    expect(defaultDatasetsDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\/\.cache\/edge-stl\/datasets$/);
  });

  it('the progress bar draws on a TTY only', () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const bar = byteProgressBar('pull pcb-aoi', tty, 0)!;
    bar.onProgress(1024 ** 2, 4 * 1024 ** 2);
    bar.onProgress(4 * 1024 ** 2, 4 * 1024 ** 2);
    bar.done();
    expect(written).toEqual([
      `\rpull pcb-aoi [${'#'.repeat(8)}${'.'.repeat(22)}] 1.0/4.0 MiB 25%\x1b[K`,
      `\rpull pcb-aoi [${'#'.repeat(30)}] 4.0/4.0 MiB 100%\x1b[K`,
      '\n',
    ]);
    expect(byteProgressBar('x', { isTTY: false } as NodeJS.WriteStream)).toBeNull();
  });
});

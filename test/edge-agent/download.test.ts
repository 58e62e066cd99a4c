import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DownloadError, downloadWithResume } from '../../lib/net/download.js';

/** Serves `body`; the first `cutFirst` responses stop after half the remaining bytes and drop the socket. */
function serve(body: Buffer, options: { cutFirst?: number; ignoreRange?: boolean; status?: number } = {}) {
  const served: Array<{ range: string | undefined; bytes: number }> = [];
  let cuts = options.cutFirst ?? 0;
  const server: Server = createServer((req, res) => {
    if (options.status) {
      res.writeHead(options.status).end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && !options.ignoreRange ? Number(m[1]) : 0;
    const chunk = body.subarray(start);
    const log = { range: req.headers.range, bytes: 0 };
    served.push(log);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': chunk.length,
      'accept-ranges': 'bytes',
      ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (cuts > 0) {
      cuts -= 1;
      const half = chunk.subarray(0, Math.floor(chunk.length / 2));
      log.bytes = half.length;
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    log.bytes = chunk.length;
    res.end(chunk);
  });
  return {
    served,
    async url(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.zip`;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('downloadWithResume', () => {
  let dir: string;
  const body = randomBytes(3 * 1024 * 1024 + 17);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'download-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes a transfer cut in the middle with a Range request, counting the bytes served', async () => {
    const server = serve(body, { cutFirst: 1 });
    const dest = join(dir, 'model.zip');
    try {
      const result = await downloadWithResume(await server.url(), dest, { baseBackoffMs: 10 });
      expect(result).toEqual({ bytes: body.length, requests: 2 });
    } finally {
      await server.close();
    }
    expect((await readFile(dest)).equals(body)).toBe(true);
    expect(server.served).toHaveLength(2);
    const [first, second] = server.served;
    expect(first.range).toBeUndefined();
    // The resume asks from the bytes already on disk (fetch may drop the last chunks it had
    // buffered when the socket broke, so at most what the first response sent)...
    const offset = Number(/^bytes=(\d+)-$/.exec(second.range ?? '')?.[1]);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(first.bytes);
    // ...and the server sends only the rest: far less than the whole file again.
    expect(second.bytes).toBe(body.length - offset);
    expect(first.bytes + second.bytes).toBeLessThan(1.5 * body.length);
  });

  it('resumes from a part file left by an earlier run (agent restart mid-download)', async () => {
    const dest = join(dir, 'model.zip');
    await writeFile(`${dest}.part`, body.subarray(0, 1000));
    const server = serve(body);
    try {
      await downloadWithResume(await server.url(), dest);
    } finally {
      await server.close();
    }
    expect(server.served).toEqual([{ range: 'bytes=1000-', bytes: body.length - 1000 }]);
    expect((await readFile(dest)).equals(body)).toBe(true);
  });

  it('starts over when the server ignores Range', async () => {
    const dest = join(dir, 'model.zip');
    await writeFile(`${dest}.part`, Buffer.from('stale bytes'));
    const server = serve(body, { ignoreRange: true });
    try {
      await downloadWithResume(await server.url(), dest);
    } finally {
      await server.close();
    }
    expect((await stat(dest)).size).toBe(body.length);
    expect((await readFile(dest)).equals(body)).toBe(true);
  });

  it('gives up at once on a refusal (expired presigned URL) and on a body over the limit', async () => {
    const refused = serve(body, { status: 403 });
    try {
      await expect(downloadWithResume(await refused.url(), join(dir, 'a.zip'))).rejects.toThrow(
        DownloadError,
      );
    } finally {
      await refused.close();
    }
    const big = serve(body);
    try {
      await expect(
        downloadWithResume(await big.url(), join(dir, 'b.zip'), { maxBytes: 1024 }),
      ).rejects.toThrow(/over the 1024-byte limit/);
    } finally {
      await big.close();
    }
  });
});

import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';
import { checkPresignedV4 } from './presigned-v4-check.js';
import { escapeXml } from '../text/escape-xml.js';

/** s3rver accepts exactly this one key pair (its built-in dummy account). */
const S3RVER_KEY = 'S3RVER';

export interface EmbeddedS3Options {
  /** Where buckets and objects live; reusing it after a restart keeps the data. */
  dir: string;
  /** 0 or absent: a free port. Pass the previous port to restart on the same endpoint. */
  port?: number;
  host?: string;
}

export interface EmbeddedS3 {
  /** `http://<host>:<port>` */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** Closes the listener and drops open connections; the data in `dir` stays. */
  stop(): Promise<void>;
}

/**
 * Runs an S3-compatible endpoint in this process (s3rver over a directory), for tests and for
 * `edge-stl up`. A shim in front of s3rver answers `GET /<bucket>?uploads` (ListMultipartUploads)
 * with an empty list: s3rver does not implement it and the minio client calls it before every
 * multipart upload to find one to resume.
 */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const host = options.host ?? '127.0.0.1';
  await mkdir(options.dir, { recursive: true });
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    directory: options.dir,
    silent: true,
    // Path-style only: an IP host cannot carry a bucket subdomain anyway.
    vhostBuckets: false,
  });
  // Silent at the logger too, not only its transport: a request that ends after stop() (its
  // transports closed) would otherwise make winston complain on the console.
  (server as unknown as { logger: { silent: boolean } }).logger.silent = true;
  server.middleware.unshift(listMultipartUploadsShim);
  server.middleware.unshift(verifyPresignedV4);
  server.middleware.unshift(serializeWrites());
  tolerateConcurrentDeletes(server);
  const address = await server.run();
  if (server.httpServer) {
    // Longer than clients' idle keep-alive, so a client never reuses a socket the server just
    // closed (ECONNRESET on the next request).
    server.httpServer.keepAliveTimeout = 65_000;
    server.httpServer.headersTimeout = 66_000;
  }
  let stopped = false;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    accessKey: S3RVER_KEY,
    secretKey: S3RVER_KEY,
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = server.close();
      // Keep-alive sockets would otherwise hold the port (and the outage test) open.
      server.httpServer?.closeAllConnections();
      await closed;
    },
  };
}

/**
 * s3rver deletes the keys of one DeleteObjects request in parallel and then prunes empty parent
 * directories; two deletes in one directory race on that pruning (ENOENT / ENOTEMPTY) and the
 * whole request fails with a 500. The objects themselves are gone by then, so those two codes
 * are safe to ignore.
 */
function tolerateConcurrentDeletes(server: S3rver): void {
  const deleteObject = server.store.deleteObject.bind(server.store);
  server.store.deleteObject = async (bucket, key) => {
    try {
      await deleteObject(bucket, key);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY') throw err;
    }
  };
}

type ShimContext = Parameters<S3rver['middleware'][number]>[0];

/**
 * s3rver's filesystem store writes an object's data and metadata files in place, so a read or a
 * listing that meets a write half-way answers 500. A readers-writer lock around each request
 * (writes exclusive, reads shared) makes the embedded endpoint as consistent as S3 is.
 */
/** Longest a request may hold the embedded endpoint's lock (loopback requests take milliseconds). */
const LOCK_HOLD_LIMIT_MS = 10_000;

function serializeWrites(): (ctx: ShimContext, next: () => Promise<void>) => Promise<void> {
  let readers = 0;
  let writing = false;
  const waiting: Array<() => void> = [];
  const wake = () => {
    while (waiting.length) waiting.shift()!();
  };
  const acquire = async (write: boolean): Promise<void> => {
    while (writing || (write && readers > 0)) await new Promise<void>((resolve) => waiting.push(resolve));
    if (write) writing = true;
    else readers += 1;
  };
  const release = (write: boolean): void => {
    if (write) writing = false;
    else readers -= 1;
    wake();
  };
  return async (ctx, next) => {
    const write = ctx.method !== 'GET' && ctx.method !== 'HEAD';
    await acquire(write);
    let released = false;
    const done = (): void => {
      if (released) return;
      released = true;
      release(write);
    };
    // A read's body streams from the file after the middleware returns: hold the lock until sent.
    ctx.res.once('close', done);
    // A client that dies mid-request can leave s3rver waiting on a body that never ends, and every
    // later request would queue behind it: no request holds the lock longer than this.
    const watchdog = setTimeout(done, LOCK_HOLD_LIMIT_MS);
    watchdog.unref();
    ctx.res.once('close', () => clearTimeout(watchdog));
    try {
      await next();
    } catch (err) {
      done();
      throw err;
    }
    if (write) done();
    if (released) clearTimeout(watchdog);
  };
}

/** Presigned (query-string V4) requests must carry a valid, unexpired signature, as on S3. */
async function verifyPresignedV4(ctx: ShimContext, next: () => Promise<void>): Promise<void> {
  if (!('X-Amz-Signature' in ctx.query)) {
    await next();
    return;
  }
  const refused = checkPresignedV4(ctx, S3RVER_KEY);
  if (!refused) {
    await next();
    return;
  }
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refused.code}</Code><Message>${refused.message}</Message></Error>`;
}

async function listMultipartUploadsShim(ctx: ShimContext, next: () => Promise<void>): Promise<void> {
  const bucketOnly = /^\/([^/]+)\/?$/.exec(ctx.path);
  if (ctx.method !== 'GET' || !bucketOnly || !('uploads' in ctx.query)) {
    await next();
    return;
  }
  const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
  ctx.status = 200;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${escapeXml(decodeURIComponent(bucketOnly[1]))}</Bucket>` +
    `<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${escapeXml(prefix)}</Prefix>` +
    '<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>' +
    '</ListMultipartUploadsResult>';
}

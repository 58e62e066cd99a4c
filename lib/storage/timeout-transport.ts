import http from 'node:http';
import https from 'node:https';
import { StorageError } from './storage-error.js';

/** What the minio client calls to make a request (its `transport` option). */
export interface RequestTransport {
  request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest;
}

/**
 * An HTTP(S) transport for the minio client that puts a deadline on every S3 call, which the
 * client itself does not: a request whose socket stays silent for `idleMs` (connecting, waiting
 * for the answer, or mid-body) is destroyed with a `S3_TIMEOUT` error. An endpoint that accepts
 * and never answers then fails the call, and the caller's retry finds S3 once it is back.
 * {@link abortAll} cuts every request in flight (a shutdown past its deadline).
 */
export class TimeoutTransport implements RequestTransport {
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(
    private readonly protocol: 'http:' | 'https:',
    private readonly idleMs: number,
  ) {}

  request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest {
    const req = (this.protocol === 'https:' ? https : http).request(options, callback);
    this.inFlight.add(req);
    req.once('close', () => this.inFlight.delete(req));
    req.setTimeout(this.idleMs, () =>
      req.destroy(new StorageError('S3_TIMEOUT', `S3 request got no data for ${this.idleMs} ms`)),
    );
    return req;
  }

  abortAll(): void {
    for (const req of this.inFlight)
      req.destroy(new StorageError('S3_TIMEOUT', 'S3 request aborted: the process is shutting down'));
    this.inFlight.clear();
  }
}

/** Minimal typing of s3rver 3.x (it ships none): the parts edge-stl uses. */
declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  /** Koa context, reduced to what a middleware in front of s3rver needs. */
  interface S3rverContext {
    method: string;
    path: string;
    /** Request target as sent (path and query, percent-encoded). */
    url: string;
    /** A request header, '' when absent. */
    get(header: string): string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    type: string;
    body: unknown;
    /** Node's response (Koa's `ctx.res`). */
    res: import('node:http').ServerResponse;
  }

  type Middleware = (ctx: S3rverContext, next: () => Promise<void>) => Promise<void> | void;

  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Koa's middleware stack; composed when the server starts. */
    middleware: Middleware[];
    httpServer?: Server;
    /** The filesystem store behind the API. */
    store: { deleteObject(bucket: string, key: string): Promise<void> };
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

/** Shared helpers of the edge-agent tests: temp agents, test images, a fake operator. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import '../../../lib/builtin-algorithms/index.js';
import { sendError } from '../../../lib/http/error-replies.js';
import { createLogger } from '../../../lib/log.js';
import type { HeartbeatReply, HeartbeatRequest } from '../../../lib/protocol/index.js';
import type { EdgeAgentOptions } from '../../../edge-agent/config.js';
import {
  startEdgeAgent,
  type RunningEdgeAgent,
  type StartEdgeAgentDeps,
} from '../../../edge-agent/server.js';

/** A silent logger unless LOG_LEVEL asks for more. */
export function testLogger(name = 'edge-agent-test') {
  return createLogger(name, { level: process.env.LOG_LEVEL ?? 'silent' });
}

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir, removed by {@link removeTempDirs}. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory {@link tempDir} made (call in afterAll, after closing the agents). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** An agent on 127.0.0.1 and a free port, with a fresh data dir unless one is given. */
export async function startTestAgent(
  options: Partial<EdgeAgentOptions> = {},
  deps: StartEdgeAgentDeps = {},
): Promise<RunningEdgeAgent> {
  return startEdgeAgent(
    {
      host: '127.0.0.1',
      port: 0,
      node: 'edge-1',
      ...options,
      dataDir: options.dataDir ?? (await tempDir('edge-agent')),
    },
    { log: testLogger(), ...deps },
  );
}

/** A distinct small JPEG (or PNG) per `seed`: a plain background with two coloured bars. */
export async function testImage(
  seed: number,
  format: 'jpeg' | 'png' = 'jpeg',
  width = 128,
  height = 96,
): Promise<Buffer> {
  const bar = (w: number, h: number, rgb: [number, number, number]) => ({
    input: Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3])),
    raw: { width: w, height: h, channels: 3 as const },
  });
  const img = sharp({
    create: { width, height, channels: 3, background: { r: 200, g: 200 - (seed % 50), b: 180 } },
  }).composite([
    { ...bar(40, 6, [220, 30, 30]), left: 10 + (seed % 40), top: 20 },
    { ...bar(6, 30, [30, 30, 220]), left: 90, top: 30 + (seed % 30) },
  ]);
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}

/** POSTs an image to /v1/infer over real HTTP. */
export async function infer(
  url: string,
  body: Buffer,
  options: { contentType?: string; token?: string; query?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'image/jpeg' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(`${url}/v1/infer${options.query ?? ''}`, {
    method: 'POST',
    headers,
    body: new Uint8Array(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A fake operator's coordination API: records heartbeats and answers with `reply()`. */
export interface FakeOperator {
  url: string;
  heartbeats: HeartbeatRequest[];
  authorization: Array<string | undefined>;
  setReply(reply: HeartbeatReply | null): void;
  close(): Promise<void>;
}

export async function startFakeOperator(
  initial: HeartbeatReply | null,
  options: { sampleUrlsBase?: string } = {},
): Promise<FakeOperator> {
  let reply = initial;
  const heartbeats: HeartbeatRequest[] = [];
  const authorization: Array<string | undefined> = [];
  const app: FastifyInstance = Fastify();
  app.post<{ Params: { node: string }; Body: HeartbeatRequest }>(
    '/v1/agents/:node/heartbeat',
    async (req, res) => {
      heartbeats.push(req.body);
      authorization.push(req.headers.authorization);
      if (!reply) return sendError(res, 503, 'NOT_SYNCED', 'not ready');
      return reply;
    },
  );
  // Where kept samples go: presigned-style PUT URLs under `sampleUrlsBase` (a test's S3 stand-in).
  app.post<{ Params: { node: string }; Body: { id: string } }>(
    '/v1/agents/:node/sample-urls',
    async (req, res) => {
      if (!options.sampleUrlsBase) return sendError(res, 404, 'JOB_NOT_FOUND', 'no sample store');
      const base = `${options.sampleUrlsBase}/samples/${req.params.node}/${req.body.id}`;
      return { image: `${base}.jpeg`, record: `${base}.json` };
    },
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    heartbeats,
    authorization,
    setReply: (r) => (reply = r),
    close: () => app.close(),
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

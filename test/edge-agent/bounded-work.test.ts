/**
 * Bounded work per request: shape caps, decode cap, per-inference deadline, dropped requests of
 * departed clients, and recovery of an engine that one request broke. Real agent, real HTTP.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { packWithoutOnnx } from '../../lib/builtin-algorithms/fpn/model-zip.js';
import { readManifest } from '../../lib/model-package/index.js';
import type { RunningEdgeAgent } from '../../edge-agent/server.js';
import {
  infer,
  removeTempDirs,
  startTestAgent,
  tempDir,
  testImage,
  waitFor,
} from './support/agent-harness.js';
import { BREAKING_ALIAS, calls, POISON_WIDTH, SLOW_ALIAS, testModelZip } from './support/test-models.js';
import { tinyModelZip, type TinyModel } from './support/tiny-model.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

afterAll(removeTempDirs);

/** A flat PNG of any size: these compress to a few hundred bytes whatever their pixel count. */
function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
}

const metric = async (url: string, name: string): Promise<string> =>
  (await (await fetch(`${url}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');

describe('image caps (tiny FPN)', () => {
  let model: TinyModel;
  let running: RunningEdgeAgent;
  let shortSide: number;

  beforeAll(async () => {
    model = await tinyModelZip(1);
    shortSide = (await readManifest(model.path)).inputShortSide;
    running = await startTestAgent({
      initialModel: model.path,
      sampling: { strategy: 'none' },
      limits: { maxAspectRatio: 8, maxResizedPixels: 4 * shortSide * shortSide, maxInputPixels: 200_000 },
    });
  });
  afterAll(() => running?.close());

  it('serves the FPN with ONNX Runtime (in a worker thread), and says so in /metrics', async () => {
    expect(await metric(running.url, 'edge_stl_agent_inference_engine')).toMatch(
      /edge_stl_agent_inference_engine\{job="default\/local",engine="onnx"[^}]*\} 1/,
    );
  });

  it('falls back to TF.js for a model without model.onnx, and says so in /metrics', async () => {
    const dir = await tempDir('no-onnx');
    const zip = await packWithoutOnnx(model.path, join(dir, 'model.zip'), join(dir, 'files'));
    const plain = await startTestAgent({ initialModel: zip, sampling: { strategy: 'none' } });
    try {
      expect(await metric(plain.url, 'edge_stl_agent_inference_engine')).toMatch(/engine="tfjs"[^}]*\} 1/);
      expect((await infer(plain.url, await testImage(11))).status).toBe(200);
    } finally {
      await plain.close();
    }
  });

  it('refuses the 1x500 and 1x2000 PNGs with 400, and the next normal image is a 200', async () => {
    for (const [w, h] of [
      [1, 500],
      [1, 2000],
      [2000, 1],
    ]) {
      const body = await png(w, h);
      expect(body.length).toBeLessThan(200);
      const res = await infer(running.url, body, { contentType: 'image/png' });
      expect(res).toEqual({
        status: 400,
        body: { error: 'IMAGE_SHAPE', message: expect.stringContaining('aspect ratio') },
      });
    }
    expect((await infer(running.url, await testImage(1))).status).toBe(200);
  });

  it('refuses an image whose resized pixel count passes the cap, under the aspect-ratio cap', async () => {
    // 5:1 is under 8:1, but at the model's short side it is 5 x short_side^2 > 4 x short_side^2.
    const res = await infer(running.url, await png(500, 100), { contentType: 'image/png' });
    expect(res).toEqual({
      status: 400,
      body: { error: 'IMAGE_SHAPE', message: expect.stringContaining('resized') },
    });
    expect((await infer(running.url, await png(300, 100), { contentType: 'image/png' })).status).toBe(200);
  });

  it('refuses an image over the decode cap before decoding it', async () => {
    const res = await infer(running.url, await png(500, 500), { contentType: 'image/png' });
    expect(res).toEqual({
      status: 400,
      body: { error: 'IMAGE_TOO_LARGE', message: expect.stringContaining('200000') },
    });
    expect((await infer(running.url, await testImage(2))).status).toBe(200);
  });
});

describe('deadline and departed clients', () => {
  let running: RunningEdgeAgent;

  beforeAll(async () => {
    const zip = await testModelZip(await tempDir('slow-model'), SLOW_ALIAS, { delay_ms: 600 });
    running = await startTestAgent({
      initialModel: zip,
      sampling: { strategy: 'none' },
      limits: { concurrency: 1, queueLimit: 8, inferenceTimeoutMs: 300 },
    });
  });
  afterAll(() => running?.close());

  it('answers 503 DEADLINE_EXCEEDED when the inference passes its deadline; probes answer meanwhile', async () => {
    const slow = infer(running.url, await testImage(3));
    await new Promise((r) => setTimeout(r, 50));
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await slow).toEqual({
      status: 503,
      body: { error: 'DEADLINE_EXCEEDED', message: expect.stringContaining('deadline') },
    });
    expect(await metric(running.url, 'edge_stl_agent_inferences_dropped_total')).toMatch(
      /reason="deadline".* [1-9]/,
    );
    // Let the slow task release its slot before the next test counts calls.
    await waitFor(() => running.agent['queue'].size === 0, 5000, 'queue empty');
  });

  it('drops a waiting request whose client disconnected: the model never sees it', async () => {
    const before = calls.slow;
    const first = infer(running.url, await testImage(4));
    await new Promise((r) => setTimeout(r, 50));
    const controller = new AbortController();
    const gone = fetch(`${running.url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(await testImage(5)),
      signal: controller.signal,
    }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    await waitFor(() => running.agent['queue'].size === 2, 5000, 'second request queued');
    controller.abort();
    expect(await gone).toBe('AbortError');
    await first;
    await waitFor(() => running.agent['queue'].size === 0, 5000, 'queue empty');
    expect(calls.slow - before).toBe(1);
    expect(await metric(running.url, 'edge_stl_agent_inferences_dropped_total')).toMatch(
      /reason="client-gone".* 1/,
    );
  });
});

describe('an engine broken by one request', () => {
  it('marks the agent not ready, reloads the model, and serves the next image', async () => {
    const zip = await testModelZip(await tempDir('breaking-model'), BREAKING_ALIAS);
    const running = await startTestAgent({ initialModel: zip, sampling: { strategy: 'none' } });
    try {
      expect((await infer(running.url, await testImage(6))).status).toBe(200);
      const poisoned = await infer(running.url, await testImage(7, 'jpeg', POISON_WIDTH, 60));
      expect(poisoned.status).toBe(500);
      expect(poisoned.body.error).toBe('INFERENCE_FAILED');
      await waitFor(
        async () => (await fetch(`${running.url}/readyz`)).status === 503,
        5000,
        'agent not ready while reloading',
      );
      const ready = (await (await fetch(`${running.url}/readyz`)).json()) as { reason: string };
      expect(ready.reason).toMatch(/reloading the model of default\/local/);
      await waitFor(async () => (await fetch(`${running.url}/readyz`)).status === 200, 10_000, 'ready again');
      for (const seed of [8, 9]) expect((await infer(running.url, await testImage(seed))).status).toBe(200);
      expect(await metric(running.url, 'edge_stl_agent_engine_resets_total')).toMatch(/ 1$/);
    } finally {
      await running.close();
    }
  });
});

describe('SIGTERM under load', () => {
  it('exits within the shutdown deadline while inferences hang', async () => {
    const dir = await tempDir('sigterm-load');
    // An engine that never answers in time: the hard case for a shutdown.
    const zip = await testModelZip(dir, SLOW_ALIAS, { delay_ms: 120_000 });
    const shutdownTimeoutMs = 1500;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'test/edge-agent/support/agent-process.ts'),
        ...['--host', '127.0.0.1', '--port', '0', '--data-dir', join(dir, 'data'), '--model', zip],
        ...['--sampling', 'none', '--concurrency', '2', '--inference-timeout-ms', '600000'],
        ...['--shutdown-timeout-ms', String(shutdownTimeoutMs)],
      ],
      { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor(() => /"msg":"Edge agent listening"/.test(stderr), 60_000, 'agent listening');
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)![1];
      const image = await testImage(10);
      const load = Array.from({ length: 6 }, () => infer(url, image).catch((err: Error) => err));
      await waitFor(
        async () =>
          /edge_stl_agent_inflight_requests\{[^}]*\} 6/.test(await (await fetch(`${url}/metrics`)).text()),
        10_000,
        'six requests in flight',
      );
      const killedAt = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      const tookMs = Date.now() - killedAt;
      expect(code).toBe(1);
      expect(stderr).toContain(`shutdown took longer than ${shutdownTimeoutMs} ms`);
      // Generous margin over the deadline for process teardown on a loaded CI machine.
      expect(tookMs).toBeLessThan(shutdownTimeoutMs + 3000);
      expect(tookMs).toBeGreaterThanOrEqual(shutdownTimeoutMs - 100);
      await Promise.all(load);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RunningEdgeAgent } from '../../edge-agent/server.js';
import { DEFAULT_LIMITS } from '../../edge-agent/config.js';
import { infer, removeTempDirs, startTestAgent, testImage } from './support/agent-harness.js';
import { tinyModelZip, type TinyModel } from './support/tiny-model.js';

const API_TOKEN = 'test-api-token';
let model: TinyModel;
let running: RunningEdgeAgent;

beforeAll(async () => {
  model = await tinyModelZip(1);
  running = await startTestAgent({
    initialModel: model.path,
    apiToken: API_TOKEN,
    sampling: { strategy: 'all', maxPerMinute: 0 },
    limits: { maxImageBytes: 64 * 1024, concurrency: 1, queueLimit: 0 },
  });
});
afterAll(async () => {
  await running?.close();
  await removeTempDirs();
});

const auth = { token: API_TOKEN };

describe('POST /v1/infer', () => {
  it('answers detections in original pixels for a raw JPEG, a raw PNG and a multipart file', async () => {
    const jpeg = await infer(running.url, await testImage(1), auth);
    expect(jpeg.status).toBe(200);
    expect(jpeg.body).toEqual({
      model: { job: 'default/local', version: `sha256-${model.sha256.slice(0, 12)}` },
      detections: expect.any(Array),
      latencyMs: expect.any(Number),
    });
    for (const d of jpeg.body.detections as Array<{ box: { xmin: number; xmax: number; ymax: number } }>) {
      expect(d.box.xmax).toBeLessThanOrEqual(128 + 1);
      expect(d.box.ymax).toBeLessThanOrEqual(96 + 1);
    }
    const png = await infer(running.url, await testImage(2, 'png'), { ...auth, contentType: 'image/png' });
    expect(png.status).toBe(200);

    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await testImage(3))], { type: 'image/jpeg' }), 'cam.jpg');
    const res = await fetch(`${running.url}/v1/infer`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: unknown }).model).toEqual(jpeg.body.model);
  });

  it('?format=ianvs answers the predict_dict keyed by the file name', async () => {
    const form = new FormData();
    form.append(
      'image',
      new Blob([new Uint8Array(await testImage(4))], { type: 'image/jpeg' }),
      'frame-0004.jpg',
    );
    const res = await fetch(`${running.url}/v1/infer?format=ianvs`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const dict = (await res.json()) as Record<string, Array<{ name: string; bbox: number[][] }>>;
    expect(Object.keys(dict)).toEqual(['frame-0004.jpg']);
    expect(dict['frame-0004.jpg'].map((c) => c.name).sort()).toEqual(['Bad_podu', 'Bad_qiaojiao']);
  });

  it('400 for a corrupt image and for a truncated one', async () => {
    const garbage = await infer(running.url, Buffer.from('definitely not a jpeg'), auth);
    expect(garbage).toEqual({ status: 400, body: { error: 'CORRUPT_IMAGE', message: expect.any(String) } });
    const full = await testImage(5, 'jpeg', 400, 300);
    const truncated = await infer(running.url, full.subarray(0, Math.floor(full.length / 2)), auth);
    expect(truncated.status).toBe(400);
    expect(truncated.body.error).toBe('CORRUPT_IMAGE');
  });

  it('400, not 500, for a malformed multipart body', async () => {
    const image = await testImage(6);
    const torn = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'),
      Buffer.from('Content-Type: image/jpeg\r\n\r\n'),
      image.subarray(0, 100),
    ]);
    const cases: Array<[string, Buffer]> = [
      ['multipart/form-data; boundary=XyZ', torn], // the body ends inside the file part
      ['multipart/form-data', Buffer.from('no boundary anywhere')],
      ['multipart/form-data; boundary=XyZ', Buffer.from('--XyZ\r\ngarbage without headers end')],
    ];
    for (const [contentType, body] of cases) {
      const res = await infer(running.url, body, { ...auth, contentType });
      expect({ contentType, status: res.status }).toEqual({ contentType, status: 400 });
    }
  });

  it('413 over the size limit, raw or multipart', async () => {
    const big = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#808080' } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(64 * 1024);
    const raw = await infer(running.url, big, { ...auth, contentType: 'image/png' });
    expect(raw).toEqual({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE', message: expect.any(String) } });
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(big)], { type: 'image/png' }), 'big.png');
    const res = await fetch(`${running.url}/v1/infer`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(res.status).toBe(413);
  });

  it('415 for other content types, a non-image file part, and a GIF sent as image/jpeg', async () => {
    const text = await infer(running.url, Buffer.from('hello'), { ...auth, contentType: 'text/plain' });
    expect(text).toEqual({
      status: 415,
      body: { error: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) },
    });
    const json = await infer(running.url, Buffer.from('{"image": "x"}'), {
      ...auth,
      contentType: 'application/json',
    });
    expect(json.status).toBe(415);
    const form = new FormData();
    form.append('image', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    const part = await fetch(`${running.url}/v1/infer`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(part.status).toBe(415);
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } })
      .gif()
      .toBuffer();
    expect((await infer(running.url, gif, auth)).status).toBe(415);
  });

  it('404 for a job the agent does not serve, 400 for a malformed job or format', async () => {
    const image = await testImage(11);
    const unknown = await infer(running.url, image, { ...auth, query: '?job=other/job' });
    expect(unknown).toEqual({ status: 404, body: { error: 'UNKNOWN_JOB', message: expect.any(String) } });
    expect((await infer(running.url, image, { ...auth, query: '?job=default/local' })).status).toBe(200);
    expect((await infer(running.url, image, { ...auth, query: '?job=../../etc' })).status).toBe(400);
    expect((await infer(running.url, image, { ...auth, query: '?format=coco' })).body.error).toBe(
      'BAD_REQUEST',
    );
  });

  it('401 without the bearer token or with a wrong one', async () => {
    const image = await testImage(6);
    expect(await infer(running.url, image)).toEqual({
      status: 401,
      body: { error: 'UNAUTHORIZED', message: expect.any(String) },
    });
    expect((await infer(running.url, image, { token: 'wrong' })).status).toBe(401);
  });

  it('429 when the bounded queue is full', async () => {
    const images = await Promise.all([7, 8, 9, 10].map((i) => testImage(i)));
    const statuses = (await Promise.all(images.map((img) => infer(running.url, img, auth)))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  });

  it('counts replies by status and exposes the model in /metrics', async () => {
    // Real HTTP, not app.inject(): under jest on Node 20 light-my-request cannot require the ESM-only `cookie`.
    const res = await fetch(`${running.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/edge_stl_agent_infer_requests_total\{status="200",node="edge-1"\} \d+/);
    for (const status of [400, 401, 413, 415, 429]) expect(text).toContain(`status="${status}"`);
    expect(text).toContain(
      `edge_stl_agent_model_info{job="default/local",version="sha256-${model.sha256.slice(0, 12)}",node="edge-1"} 1`,
    );
    expect(text).toMatch(/edge_stl_agent_inference_seconds_count\{node="edge-1",job="default\/local"\} \d+/);
    expect(text).toMatch(/edge_stl_agent_samples_kept_total\{job="default\/local",node="edge-1"\} \d+/);
    expect(await (await fetch(`${running.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
  });
});

describe('an agent without a model', () => {
  it('answers 503 with the reason, and /readyz says why', async () => {
    const empty = await startTestAgent();
    try {
      const res = await infer(empty.url, await testImage(1));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: 'NO_MODEL', message: expect.stringContaining('no model') });
      const ready = await fetch(`${empty.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not-ready', reason: expect.any(String) });
    } finally {
      await empty.close();
    }
  });
});

describe('graceful close', () => {
  it('finishes the in-flight request, refuses new ones, and leaves its sample committed in the outbox', async () => {
    const shutdownTimeoutMs = 8000;
    const agent = await startTestAgent({
      initialModel: model.path,
      sampling: { strategy: 'all', maxPerMinute: 0 },
      limits: { ...DEFAULT_LIMITS, shutdownTimeoutMs },
    });
    const inflight = infer(agent.url, await testImage(42));
    await new Promise((r) => setTimeout(r, 30));
    const closeStarted = Date.now();
    const closing = agent.close();
    const late = await infer(agent.url, await testImage(43)).catch((err: Error) => ({
      status: 0,
      body: { error: err.message },
    }));
    expect([0, 503]).toContain(late.status);
    expect((await inflight).status).toBe(200);
    await closing;
    // The answered request's keep-alive socket is closed at once, not cut at the deadline.
    expect(Date.now() - closeStarted).toBeLessThan(shutdownTimeoutMs / 2);
    const files = (await readdir(join(agent.config.dataDir, 'outbox'))).sort();
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.jpeg'))).toHaveLength(1);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
  });
});

import { readFile } from 'node:fs/promises';
import { sleep } from '../lib/sleep.js';

export interface CameraOptions {
  /** Edge agent base URL, e.g. http://127.0.0.1:8081 */
  agentUrl: string;
  apiToken?: string;
  images: string[];
  /** Images per second this camera sends. */
  rate: number;
  signal: AbortSignal;
  /**
   * While true the camera waits: on one machine the cameras, edge inference and cloud training
   * share the same cores, so the line pauses while the cloud trains.
   */
  paused?: () => boolean;
}

export interface CameraStats {
  sent: number;
  ok: number;
  failed: number;
  /** Status code → count, for the non-2xx replies (503 while no model is loaded is normal early on). */
  byStatus: Record<number, number>;
}

/**
 * A camera on the production line: streams dataset images, in order and round-robin, into an edge
 * agent's `POST /v1/infer` at a fixed rate until aborted.
 */
export async function runSimulatedCamera(options: CameraOptions, stats: CameraStats): Promise<void> {
  const { agentUrl, images, signal } = options;
  if (images.length === 0) return;
  const headers: Record<string, string> = { 'content-type': 'image/jpeg' };
  if (options.apiToken) headers.authorization = `Bearer ${options.apiToken}`;
  const periodMs = 1000 / options.rate;
  for (let i = 0; !signal.aborted; i = (i + 1) % images.length) {
    while (options.paused?.() && !signal.aborted) await sleep(500, signal);
    const started = Date.now();
    try {
      const body = await readFile(images[i]);
      stats.sent += 1;
      const res = await fetch(`${agentUrl}/v1/infer`, { method: 'POST', headers, body, signal });
      await res.arrayBuffer();
      if (res.ok) stats.ok += 1;
      else {
        stats.failed += 1;
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      }
    } catch {
      if (signal.aborted) break;
      stats.failed += 1;
    }
    await sleep(Math.max(0, periodMs - (Date.now() - started)), signal);
  }
}

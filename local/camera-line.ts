import { runSimulatedCamera, type CameraStats } from './simulated-camera.js';

/** The simulated production line: one camera per edge agent. */
export interface CameraLine {
  /** Images sent by all cameras so far. */
  sent(): number;
  /** Stops every camera and waits for them (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts one camera per agent, each on the same images from another starting point (so the
 * agents do not see the same image at the same time), until `signal` aborts or `stop()`.
 */
export function startCameraLine(input: {
  agentUrls: string[];
  images: string[];
  rate: number;
  paused: () => boolean;
  signal: AbortSignal;
}): CameraLine {
  const abort = new AbortController();
  const signal = AbortSignal.any([input.signal, abort.signal]);
  const stats: CameraStats[] = input.agentUrls.map(() => ({ sent: 0, ok: 0, failed: 0, byStatus: {} }));
  const cameras = input.agentUrls.map((agentUrl, i) =>
    runSimulatedCamera(
      { agentUrl, images: rotate(input.images, i * 7), rate: input.rate, signal, paused: input.paused },
      stats[i],
    ),
  );
  return {
    sent: () => stats.reduce((n, s) => n + s.sent, 0),
    stop: async () => {
      abort.abort();
      await Promise.all(cameras);
    },
  };
}

function rotate<T>(list: T[], by: number): T[] {
  const k = list.length ? by % list.length : 0;
  return [...list.slice(k), ...list.slice(0, k)];
}

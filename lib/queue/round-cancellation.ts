/**
 * Cancelling a training round across processes. BullMQ can only cancel a job inside the worker that
 * runs it, so the operator sets a flag in Redis beside the job, and the trainer polls it between
 * steps and aborts the round. The flag outlives the job object (TTL), so a round picked up again
 * after a stall sees it too.
 */

/** The parts of a BullMQ Queue or Worker this needs (both have them). */
export interface QueueKeyspace {
  toKey(type: string): string;
  getBackend(): {
    client: Promise<{
      get(key: string): Promise<string | null>;
      set(key: string, value: string, options?: { EX?: number }): Promise<unknown>;
      del(...keys: string[]): Promise<number>;
    }>;
  };
}

/** How long a cancellation flag is kept: far longer than a round can stall. */
const FLAG_TTL_SECONDS = 7 * 24 * 3600;

function flagKey(queue: QueueKeyspace, jobId: string): string {
  return queue.toKey(`${jobId}:cancel`);
}

/** Flags a round as cancelled, with the reason its trainer will fail it with. */
export async function requestRoundCancellation(
  queue: QueueKeyspace,
  jobId: string,
  reason: string,
): Promise<void> {
  const client = await queue.getBackend().client;
  await client.set(flagKey(queue, jobId), reason || 'cancelled', { EX: FLAG_TTL_SECONDS });
}

/** The reason a round was cancelled, or null while it is not. */
export async function roundCancellation(queue: QueueKeyspace, jobId: string): Promise<string | null> {
  const client = await queue.getBackend().client;
  return client.get(flagKey(queue, jobId));
}

/** Drops the flag (once the round's queue job is removed). */
export async function clearRoundCancellation(queue: QueueKeyspace, jobId: string): Promise<void> {
  const client = await queue.getBackend().client;
  await client.del(flagKey(queue, jobId));
}

/** Thrown (as the abort reason) when a round is cancelled. */
export class RoundCancelledError extends Error {
  constructor(readonly reason: string) {
    super(`round cancelled: ${reason}`);
    this.name = 'RoundCancelledError';
  }
}

/** A running round's view of its cancellation flag. */
export interface RoundCancellationWatch {
  /** Aborts (reason: a {@link RoundCancelledError}) once the flag is seen. */
  readonly signal: AbortSignal;
  /** Checks the flag now; throws the RoundCancelledError when it is set. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Polls a round's flag every `pollMs` while the round runs. A failed poll (Redis blip) is ignored:
 * the next one decides, and missing a cancel for a moment only costs a little training.
 */
export function watchRoundCancellation(
  queue: QueueKeyspace,
  jobId: string,
  pollMs: number,
): RoundCancellationWatch {
  const controller = new AbortController();
  const poll = async (): Promise<void> => {
    if (controller.signal.aborted) return;
    const reason = await roundCancellation(queue, jobId);
    if (reason !== null && !controller.signal.aborted) controller.abort(new RoundCancelledError(reason));
  };
  const timer = setInterval(() => void poll().catch(() => undefined), pollMs);
  timer.unref();
  void poll().catch(() => undefined);
  return {
    signal: controller.signal,
    async check() {
      await poll();
      if (controller.signal.aborted) throw controller.signal.reason as RoundCancelledError;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

import type { Logger } from 'pino';
import { HeartbeatReply, heartbeatPath, type HeartbeatRequest } from '../lib/protocol/index.js';
import { sleep } from '../lib/sleep.js';
import { Backoff } from '../lib/net/backoff.js';
import type { AgentMetrics } from './metrics.js';
import type { OperatorClient } from './operator-client.js';

export { HeartbeatError } from './operator-client.js';

export interface HeartbeatOptions {
  client: OperatorClient;
  node: string;
  /** Builds the report sent with each heartbeat. */
  report: () => HeartbeatRequest;
  /** Applies a reply (desired state); an exception counts as a failed heartbeat. */
  onReply: (reply: HeartbeatReply) => Promise<void>;
  intervalSeconds: number;
  maxBackoffMs: number;
  /** First backoff delay ceiling, ms (default 500). */
  baseBackoffMs?: number;
  metrics: AgentMetrics;
  log: Logger;
}

/**
 * The pull loop of a node behind NAT: POST `{operatorUrl}/v1/agents/{node}/heartbeat` with the
 * node token and the agent's report; the reply carries the desired state. While the operator is
 * unreachable the loop backs off exponentially (with jitter, capped) and the agent keeps serving
 * what it has.
 */
export class HeartbeatLoop {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private intervalSeconds: number;
  private running: Promise<void> | null = null;
  private wakeNow: (() => void) | null = null;
  private lastSuccess: Date | null = null;

  constructor(private readonly options: HeartbeatOptions) {
    this.intervalSeconds = options.intervalSeconds;
    this.backoff = new Backoff({ baseMs: options.baseBackoffMs ?? 500, maxMs: options.maxBackoffMs });
  }

  /** When the operator last answered, or null. */
  get lastSuccessAt(): Date | null {
    return this.lastSuccess;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Sends the next heartbeat now instead of at the end of the wait (e.g. after a model install). */
  poke(): void {
    this.wakeNow?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeNow?.();
    await this.running;
  }

  /** One heartbeat: report, then apply the reply. Throws on any failure. */
  async beat(): Promise<HeartbeatReply> {
    const body = await this.options.client.post(
      heartbeatPath(this.options.node),
      this.options.report(),
      HeartbeatReply,
      this.abort.signal,
    );
    await this.options.onReply(body);
    this.intervalSeconds = body.heartbeatIntervalSeconds;
    return body;
  }

  private async loop(): Promise<void> {
    const { metrics, log } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let delayMs: number;
      try {
        await this.beat();
        this.lastSuccess = new Date();
        metrics.heartbeats.inc();
        if (this.backoff.attempts > 0)
          log.info({ failures: this.backoff.attempts }, 'Operator reachable again');
        this.backoff.reset();
        delayMs = this.intervalSeconds * 1000;
      } catch (err) {
        if (signal.aborted) break;
        metrics.heartbeatFailures.inc();
        delayMs = this.backoff.next();
        log.warn({ err, delayMs, failures: this.backoff.attempts }, 'Heartbeat failed');
      }
      await new Promise<void>((resolve) => {
        this.wakeNow = resolve;
        void sleep(delayMs, signal).then(resolve);
      });
      this.wakeNow = null;
    }
  }
}

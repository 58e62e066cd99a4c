import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { EdgeStlError } from '../lib/errors/index.js';
import { HeartbeatReply, heartbeatPath, type HeartbeatRequest } from '../lib/protocol/index.js';
import { sleep } from '../lib/sleep.js';
import { Backoff } from '../lib/net/backoff.js';
import type { AgentMetrics } from './metrics.js';

export interface HeartbeatOptions {
  operatorUrl: string;
  node: string;
  token: string | null;
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
  requestTimeoutMs?: number;
}

/** The operator refused or garbled a heartbeat. */
export class HeartbeatError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HEARTBEAT_FAILED', message, options);
  }
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
    const { operatorUrl, node, token } = this.options;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${operatorUrl}${heartbeatPath(node)}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(this.options.report()),
      signal: AbortSignal.any([
        this.abort.signal,
        AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      ]),
    });
    const text = await res.text();
    if (!res.ok) throw new HeartbeatError(`operator answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new HeartbeatError('operator reply is not JSON', { cause: err });
    }
    if (!Value.Check(HeartbeatReply, body)) {
      const first = Value.Errors(HeartbeatReply, body).First();
      throw new HeartbeatError(
        `operator reply does not match the protocol: ${first?.path} ${first?.message}`,
      );
    }
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

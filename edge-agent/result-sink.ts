import { connect, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Detection } from '../lib/algorithm-api/index.js';
import { sleep } from '../lib/sleep.js';
import { Backoff } from '../lib/net/backoff.js';
import type { AgentMetrics } from './metrics.js';

/** What the application receives for each inference (seed step 7), as JSON. */
export interface ResultMessage {
  node: string;
  job: string;
  model: { job: string; version: string };
  /** sha256 of the image bytes, the same id a kept sample gets. */
  imageId: string;
  detections: Detection[];
  latencyMs: number;
  at: string;
}

/** A destination for results. `send` throws to ask for a retry. */
export interface ResultSink {
  readonly name: string;
  send(body: string): Promise<void>;
  close(): Promise<void>;
}

/** POSTs each result as JSON; any non-2xx answer is a failure. */
export class WebhookSink implements ResultSink {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5000,
  ) {}

  async send(body: string): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  }

  async close(): Promise<void> {}
}

/** Publishes each result on an MQTT topic with QoS 1; the client reconnects by itself. */
export class MqttSink implements ResultSink {
  readonly name = 'mqtt';
  private readonly client: MqttClient;

  constructor(
    url: string,
    private readonly topic: string,
    clientId: string,
    private readonly timeoutMs = 5000,
  ) {
    this.client = connect(url, {
      clientId,
      reconnectPeriod: 1000,
      connectTimeout: timeoutMs,
      queueQoSZero: false,
    });
    // Connection errors surface as failed sends (retried and counted); keep them off the event loop.
    this.client.on('error', () => {});
  }

  async send(body: string): Promise<void> {
    // mqtt.js would queue while offline and resolve much later; fail fast so our retry counts it.
    if (!this.client.connected) throw new Error('MQTT broker not connected');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.publishAsync(this.topic, body, { qos: 1 }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('MQTT publish not acknowledged in time')),
            this.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

export interface ResultDeliveryOptions {
  metrics: AgentMetrics;
  log: Logger;
  /** Results waiting per sink; beyond it the oldest is dropped (counted). */
  queueLimit: number;
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Delivers results to each sink from its own in-memory queue and loop: `publish` only enqueues,
 * so a slow or dead webhook or broker never delays an inference. Failures are retried with
 * backoff, then dropped; both are counted in `edge_stl_agent_result_deliveries_total`.
 */
export class ResultDelivery {
  private readonly queues: Array<{ sink: ResultSink; items: string[]; wake: (() => void) | null }>;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[];

  constructor(
    sinks: ResultSink[],
    private readonly options: ResultDeliveryOptions,
  ) {
    this.queues = sinks.map((sink) => ({ sink, items: [], wake: null }));
    this.loops = this.queues.map((q) => this.loop(q));
  }

  get enabled(): boolean {
    return this.queues.length > 0;
  }

  /** Queues `message` for every sink; never waits. */
  publish(message: ResultMessage): void {
    if (this.queues.length === 0) return;
    const body = JSON.stringify(message);
    for (const q of this.queues) {
      if (q.items.length >= this.options.queueLimit) {
        q.items.shift();
        this.options.metrics.resultDeliveries.inc({ sink: q.sink.name, result: 'dropped' });
      }
      q.items.push(body);
      q.wake?.();
    }
  }

  /** Tries to deliver what is queued until `deadlineMs`, then stops the loops and closes the sinks. */
  async close(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.queues.some((q) => q.items.length > 0) && Date.now() < until) await sleep(20);
    this.abort.abort();
    for (const q of this.queues) q.wake?.();
    await Promise.all(this.loops);
    await Promise.all(this.queues.map((q) => q.sink.close().catch(() => {})));
  }

  private async loop(q: { sink: ResultSink; items: string[]; wake: (() => void) | null }): Promise<void> {
    const { metrics, log } = this.options;
    const signal = this.abort.signal;
    const backoff = new Backoff({
      baseMs: this.options.baseBackoffMs ?? 200,
      maxMs: this.options.maxBackoffMs ?? 10_000,
    });
    const maxAttempts = this.options.maxAttempts ?? 5;
    while (!signal.aborted) {
      const body = q.items[0];
      if (body === undefined) {
        await new Promise<void>((resolve) => (q.wake = resolve));
        q.wake = null;
        continue;
      }
      try {
        await q.sink.send(body);
        metrics.resultDeliveries.inc({ sink: q.sink.name, result: 'delivered' });
        backoff.reset();
        if (q.items[0] === body) q.items.shift();
      } catch (err) {
        if (backoff.attempts + 1 >= maxAttempts) {
          metrics.resultDeliveries.inc({ sink: q.sink.name, result: 'dropped' });
          log.warn({ err, sink: q.sink.name, attempts: maxAttempts }, 'Result delivery dropped');
          if (q.items[0] === body) q.items.shift();
          backoff.reset();
          continue;
        }
        metrics.resultDeliveries.inc({ sink: q.sink.name, result: 'retried' });
        await sleep(backoff.next(), signal);
      }
    }
  }
}

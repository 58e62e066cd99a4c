import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface SupervisedInformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  onChange: (obj: T, verb: 'add' | 'update' | 'delete') => void;
  log: Logger;
  /** Relist when nothing (event or reconnect) has been seen for this long. */
  staleAfterMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Keeps a client-node informer alive. client-node 1.x handles 410 itself (relist) but stops for
 * good on any other error (a 500, a dropped connection, a failed list); this restarts it with
 * jittered exponential backoff, and replaces it by a fresh informer (a full relist) when it has
 * been silent for `staleAfterMs`.
 */
export class SupervisedInformer<T extends KubernetesObject> {
  private informer: (Informer<T> & ObjectCache<T>) | null = null;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private lastActivity = Date.now();
  private stopped = true;
  private hasSynced = false;
  /** Restarts so far (for tests and metrics). */
  restarts = 0;
  relists = 0;

  constructor(private readonly opts: SupervisedInformerOptions<T>) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.create();
    const staleAfter = this.opts.staleAfterMs ?? 300_000;
    this.staleTimer = setInterval(() => this.checkStale(staleAfter), Math.max(250, staleAfter / 4));
    this.staleTimer.unref?.();
    await this.informer!.start().catch((err: unknown) => this.failed(err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.staleTimer) clearInterval(this.staleTimer);
    await this.informer?.stop();
  }

  synced(): boolean {
    return this.hasSynced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer?.get(name, namespace);
  }

  list(): readonly T[] {
    return this.informer?.list() ?? [];
  }

  /** Forces a relist now (as when stale). */
  async relist(): Promise<void> {
    this.relists++;
    const old = this.informer;
    this.create();
    await old?.stop();
    await this.informer!.start().catch((err: unknown) => this.failed(err));
  }

  private create(): void {
    const wrappedList = async (): Promise<KubernetesListObject<T>> => {
      const list = await this.opts.list();
      this.hasSynced = true;
      this.lastActivity = Date.now();
      this.failures = 0;
      return list;
    };
    const inf = makeInformer<T>(this.opts.kubeConfig, this.opts.path, wrappedList);
    const touch = (): void => {
      this.lastActivity = Date.now();
    };
    inf.on('add', (o) => (touch(), this.opts.onChange(o, 'add')));
    inf.on('update', (o) => (touch(), this.opts.onChange(o, 'update')));
    inf.on('delete', (o) => (touch(), this.opts.onChange(o, 'delete')));
    inf.on('connect', () => {
      touch();
    });
    inf.on('error', (err) => {
      if (this.informer === inf) this.failed(err);
    });
    this.informer = inf;
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    this.opts.onError?.(err);
    this.failures++;
    const base = Math.min(
      this.opts.maxBackoffMs ?? 30_000,
      (this.opts.minBackoffMs ?? 200) * 2 ** (this.failures - 1),
    );
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.opts.log.warn(
      {
        path: this.opts.path,
        err: (err as Error)?.message ?? String(err),
        delayMs: delay,
        failures: this.failures,
      },
      'Informer stopped; restarting',
    );
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped || !this.informer) return;
      this.restarts++;
      this.lastActivity = Date.now();
      this.informer.start().catch((e: unknown) => this.failed(e));
    }, delay);
    this.restartTimer.unref?.();
  }

  private checkStale(staleAfterMs: number): void {
    if (this.stopped || this.restartTimer) return;
    if (Date.now() - this.lastActivity < staleAfterMs) return;
    this.opts.log.info(
      { path: this.opts.path, silentMs: Date.now() - this.lastActivity },
      'Informer stale; relisting',
    );
    this.lastActivity = Date.now();
    void this.relist();
  }
}

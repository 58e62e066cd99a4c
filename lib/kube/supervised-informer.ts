import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Backoff } from '../net/backoff.js';

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

/** `<namespace>/<name>` (namespace empty for cluster-scoped objects), as client-node keys its cache. */
function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/**
 * Keeps a client-node informer alive. client-node 1.x handles 410 itself (relist) but stops for
 * good on any other error (a 500, a dropped connection, a failed list); this restarts it with
 * jittered exponential backoff, and replaces it by a fresh informer (a full relist) when it has
 * been silent for `staleAfterMs`.
 *
 * Readers see a cache of our own, not the informer's: it is replaced whole when a LIST succeeds
 * and then follows that informer's events. So a relist keeps serving the previous list until its
 * own LIST is in (an empty fresh informer would make every job look deleted), and nothing is
 * served before the first LIST (`synced()` is false until then).
 */
export class SupervisedInformer<T extends KubernetesObject> {
  private informer: Informer<T> | null = null;
  /** The last successful LIST plus the events since; null before the first LIST. */
  private cache: Map<string, T> | null = null;
  /** A LIST was asked for (start, relist, restart after 410) and has not succeeded yet. */
  private listPending = false;
  private readonly backoff: Backoff;
  private restartTimer: NodeJS.Timeout | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private lastActivity = Date.now();
  private stopped = true;
  /** Restarts so far (for tests and metrics). */
  restarts = 0;
  relists = 0;

  constructor(private readonly opts: SupervisedInformerOptions<T>) {
    this.backoff = new Backoff({ baseMs: opts.minBackoffMs ?? 200, maxMs: opts.maxBackoffMs ?? 30_000 });
  }

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

  /** True once a LIST has succeeded (a relist keeps serving the previous one meanwhile). */
  synced(): boolean {
    return this.cache !== null;
  }

  /** True while a LIST is awaited: the cache is the previous list's and may miss deletions. */
  relisting(): boolean {
    return this.listPending;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache?.get(`${namespace ?? ''}/${name}`);
  }

  list(): readonly T[] {
    return this.cache ? [...this.cache.values()] : [];
  }

  /** Forces a relist now (as when stale); the current cache serves until its LIST succeeds. */
  async relist(): Promise<void> {
    this.relists++;
    this.listPending = true;
    const old = this.informer;
    this.create();
    await old?.stop();
    await this.informer!.start().catch((err: unknown) => this.failed(err));
  }

  private create(): void {
    let firstList = true;
    const inf: Informer<T> = makeInformer<T>(this.opts.kubeConfig, this.opts.path, async () => {
      this.listPending = true;
      const list = await this.opts.list();
      // A replaced informer's late LIST must neither overwrite the cache nor start a watch.
      if (this.informer !== inf || this.stopped) throw new Error('informer replaced');
      this.replaceCache(list.items, firstList);
      firstList = false;
      this.listPending = false;
      this.lastActivity = Date.now();
      this.backoff.reset();
      return list;
    });
    const on = (verb: 'add' | 'update' | 'delete') =>
      inf.on(verb, (obj) => {
        if (this.informer !== inf) return;
        this.lastActivity = Date.now();
        if (verb === 'delete') this.cache?.delete(keyOf(obj));
        else this.cache?.set(keyOf(obj), obj);
        this.opts.onChange(obj, verb);
      });
    on('add');
    on('update');
    on('delete');
    inf.on('connect', () => {
      this.lastActivity = Date.now();
    });
    inf.on('error', (err) => {
      if (this.informer === inf) this.failed(err);
    });
    this.informer = inf;
  }

  /**
   * Serves `items` from now on. The informer then reports each item as added; objects gone since
   * the previous list are reported deleted here when the informer is a fresh one (a reused one
   * reports them itself, as after a 410).
   */
  private replaceCache(items: T[], freshInformer: boolean): void {
    const previous = this.cache;
    this.cache = new Map(items.map((o) => [keyOf(o), o]));
    if (!previous || !freshInformer) return;
    for (const [key, obj] of previous) if (!this.cache.has(key)) this.opts.onChange(obj, 'delete');
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    this.opts.onError?.(err);
    const delay = this.backoff.next();
    this.opts.log.warn(
      {
        path: this.opts.path,
        err: (err as Error)?.message ?? String(err),
        delayMs: delay,
        failures: this.backoff.attempts,
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

import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LeaderElector } from '../ports/leader-election.js';
import { isConflict, isNotFound } from './kube-errors.js';

export interface KubeLeaseElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  leaseDurationSeconds?: number;
  /** Leadership is given up when renewing has failed for this long (< lease duration). */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: acquire or renew every
 * retry period with optimistic concurrency; take over a lease whose record has not changed for a
 * lease duration (measured on our own clock, so clock skew does not matter); give up after the
 * renew deadline; release on stop so a standby takes over at once.
 */
export class KubeLeaseElector implements LeaderElector {
  private readonly api: CoordinationV1Api;
  private leading = false;
  private timer: NodeJS.Timeout | null = null;
  private lastRenew = 0;
  private observed: { record: string; at: number } | null = null;
  private callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void } | null = null;
  private readonly durationS: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;

  constructor(private readonly opts: KubeLeaseElectorOptions) {
    this.api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    this.durationS = opts.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? (this.durationS * 1000 * 2) / 3;
    this.retryMs = opts.retryPeriodMs ?? Math.max(200, (this.durationS * 1000) / 5);
  }

  async run(callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void }): Promise<void> {
    this.callbacks = callbacks;
    await this.tick();
  }

  isLeader(): boolean {
    return this.leading;
  }

  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.callbacks = null;
    if (!this.leading) return;
    this.leading = false;
    if (options.release === false) return;
    try {
      const lease = await this.api.readNamespacedLease({
        namespace: this.opts.namespace,
        name: this.opts.name,
      });
      if (lease.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.leaseDurationSeconds = 1;
        await this.api.replaceNamespacedLease({
          namespace: this.opts.namespace,
          name: this.opts.name,
          body: lease,
        });
      }
    } catch (err) {
      this.opts.log.warn({ lease: this.opts.name, err: (err as Error).message }, 'Cannot release lease');
    }
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.log.warn({ lease: this.opts.name, err: (err as Error).message }, 'Lease update failed');
    }
    const now = Date.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.opts.log.info({ lease: this.opts.name, identity: this.opts.identity }, 'Became leader');
        this.callbacks?.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew > this.renewDeadlineMs) {
      this.leading = false;
      this.opts.log.warn({ lease: this.opts.name, identity: this.opts.identity }, 'Lost leadership');
      this.callbacks?.onStoppedLeading();
    }
    if (this.callbacks) {
      this.timer = setTimeout(() => void this.tick(), this.retryMs);
      this.timer.unref?.();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const now = new Date();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: this.durationS,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (e) {
        if (isConflict(e)) return false;
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}`;
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: now.getTime() };
    const holder = spec.holderIdentity;
    const duration = (spec.leaseDurationSeconds ?? this.durationS) * 1000;
    if (holder && holder !== identity && now.getTime() - this.observed.at < duration) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    lease.spec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.durationS,
      acquireTime: holder === identity ? (spec.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: transitions,
    };
    try {
      await this.api.replaceNamespacedLease({ namespace, name, body: lease });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}

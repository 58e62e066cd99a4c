import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  LeadershipEndedError,
  type LeaderElector,
  type LeadershipCallbacks,
} from '../ports/leader-election.js';
import { isConflict, isNotFound } from '../../lib/kube/kube-errors.js';
import { withSignal } from '../../lib/kube/kube-signal.js';
import { DEFAULT_LEASE_DURATION_SECONDS } from '../defaults.js';

export interface KubeLeaseElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  leaseDurationSeconds?: number;
  /**
   * Leadership ends this long after the start of the last successful renewal, whatever the calls
   * in flight do (< lease duration; default two thirds of it).
   */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Each Lease call is abandoned after this long (< renew deadline; default half of it). */
  callTimeoutMs?: number;
}

/** One acquire-or-renew attempt: we hold the Lease, another holder does, or we could not tell. */
type Attempt = 'held' | 'taken' | 'failed';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: acquire or renew every
 * retry period with optimistic concurrency; take over a lease whose record has not changed for a
 * lease duration (measured on our own clock from when we saw it change, so clock skew does not
 * matter); release on stop so a standby takes over at once.
 *
 * A term of leadership ends by timer at the renew deadline, counted from the start of the last
 * successful renewal, even while a call hangs: every Lease call carries a timeout shorter than the
 * deadline and the term's signal, and the term's signal aborts first, so work done as leader stops
 * before a standby can count the lease as expired (lease duration > renew deadline).
 */
export class KubeLeaseElector implements LeaderElector {
  private readonly api: CoordinationV1Api;
  private callbacks: LeadershipCallbacks | null = null;
  /** The current term of leadership; null while following. */
  private term: { controller: AbortController; deadline: NodeJS.Timeout } | null = null;
  private retry: NodeJS.Timeout | null = null;
  private observed: { record: string; at: number } | null = null;
  private readonly durationS: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly callTimeoutMs: number;

  constructor(private readonly opts: KubeLeaseElectorOptions) {
    this.api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    this.durationS = opts.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
    const durationMs = this.durationS * 1000;
    // Whole milliseconds: timers and AbortSignal.timeout take integers.
    this.renewDeadlineMs = opts.renewDeadlineMs ?? Math.round((durationMs * 2) / 3);
    this.retryMs = opts.retryPeriodMs ?? Math.max(200, Math.round(durationMs / 5));
    this.callTimeoutMs = opts.callTimeoutMs ?? Math.round(this.renewDeadlineMs / 2);
    const check = (ok: boolean, what: string): void => {
      if (!ok) throw new Error(`lease ${opts.name}: ${what}`);
    };
    check(
      [this.renewDeadlineMs, this.retryMs, this.callTimeoutMs].every(Number.isInteger),
      'renew deadline, retry period and call timeout must be whole milliseconds',
    );
    check(durationMs > 0, `lease duration must be positive (got ${this.durationS} s)`);
    check(
      this.renewDeadlineMs > 0 && this.renewDeadlineMs < durationMs,
      `renew deadline (${this.renewDeadlineMs} ms) must be positive and shorter than the lease duration (${durationMs} ms)`,
    );
    check(
      this.callTimeoutMs > 0 && this.callTimeoutMs < this.renewDeadlineMs,
      `call timeout (${this.callTimeoutMs} ms) must be positive and shorter than the renew deadline (${this.renewDeadlineMs} ms)`,
    );
    check(
      this.retryMs > 0 && this.retryMs < this.renewDeadlineMs,
      `retry period (${this.retryMs} ms) must be positive and shorter than the renew deadline (${this.renewDeadlineMs} ms)`,
    );
  }

  async run(callbacks: LeadershipCallbacks): Promise<void> {
    this.callbacks = callbacks;
    await this.tick();
  }

  isLeader(): boolean {
    return this.term !== null;
  }

  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.callbacks = null; // the owner stops its own work; no onStoppedLeading on stop
    const wasLeading = this.endTerm('stopping');
    if (!wasLeading || options.release === false) return;
    const signal = AbortSignal.timeout(this.callTimeoutMs);
    const { namespace, name } = this.opts;
    try {
      const lease = await this.api.readNamespacedLease({ namespace, name }, withSignal(signal));
      if (lease.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.leaseDurationSeconds = 1;
        await this.api.replaceNamespacedLease({ namespace, name, body: lease }, withSignal(signal));
      }
    } catch (err) {
      this.opts.log.warn({ lease: name, err: (err as Error).message }, 'Cannot release lease');
    }
  }

  private async tick(): Promise<void> {
    this.retry = null;
    const started = Date.now();
    const timeout = AbortSignal.timeout(this.callTimeoutMs);
    const attempt = this.term ? AbortSignal.any([timeout, this.term.controller.signal]) : timeout;
    let result: Attempt = 'failed';
    try {
      result = await this.tryAcquireOrRenew(attempt);
    } catch (err) {
      if (this.callbacks)
        this.opts.log.warn({ lease: this.opts.name, err: (err as Error).message }, 'Lease update failed');
    }
    if (!this.callbacks) return; // stopped meanwhile
    if (result === 'held' && !attempt.aborted) this.renewed(started);
    else if (result === 'taken') this.endTerm('the Lease names another holder');
    this.retry = setTimeout(() => void this.tick(), this.retryMs);
    this.retry.unref?.();
  }

  /** A renewal that started at `started` went through: (re)arm the deadline, starting a term if needed. */
  private renewed(started: number): void {
    const remaining = started + this.renewDeadlineMs - Date.now();
    if (remaining <= 0) return; // too late to count; the deadline timer ends the term
    const deadline = setTimeout(() => this.endTerm('renew deadline passed'), remaining);
    deadline.unref?.();
    if (this.term) {
      clearTimeout(this.term.deadline);
      this.term.deadline = deadline;
      return;
    }
    const controller = new AbortController();
    this.term = { controller, deadline };
    this.opts.log.info({ lease: this.opts.name, identity: this.opts.identity }, 'Became leader');
    this.callbacks?.onStartedLeading(controller.signal);
  }

  /** Ends the current term (abort first, then the callback); false when there was none. */
  private endTerm(reason: string): boolean {
    const term = this.term;
    if (!term) return false;
    this.term = null;
    clearTimeout(term.deadline);
    term.controller.abort(new LeadershipEndedError(`leadership of ${this.opts.name} ended: ${reason}`));
    this.opts.log.warn({ lease: this.opts.name, identity: this.opts.identity, reason }, 'Lost leadership');
    this.callbacks?.onStoppedLeading();
    return true;
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    const { namespace, name, identity } = this.opts;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name }, withSignal(signal));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const now = new Date();
      try {
        await this.api.createNamespacedLease(
          {
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
          },
          withSignal(signal),
        );
        return 'held';
      } catch (e) {
        if (isConflict(e)) return 'failed';
        throw e;
      }
    }
    // Seen when the read returned, after the holder's write: the expiry we count is never early.
    const seenAt = Date.now();
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}`;
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: seenAt };
    const holder = spec.holderIdentity;
    const duration = (spec.leaseDurationSeconds ?? this.durationS) * 1000;
    if (holder && holder !== identity && seenAt - this.observed.at < duration) return 'taken';
    const now = new Date();
    const transitions = (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    lease.spec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.durationS,
      acquireTime: holder === identity ? (spec.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: transitions,
    };
    try {
      await this.api.replaceNamespacedLease({ namespace, name, body: lease }, withSignal(signal));
      return 'held';
    } catch (err) {
      if (isConflict(err)) return 'failed';
      throw err;
    }
  }
}

import { createLogger } from '../../lib/log.js';
import { KubeLeaseElector } from '../../operator/adapters/kube-lease-elector.js';
import { jobStoreInTerm } from '../../operator/leadership-term.js';
import type { JobStore } from '../../operator/ports/job-store.js';
import type { LeaderElector, LeadershipCallbacks } from '../../operator/ports/leader-election.js';
import { kubeConfigFor } from './support/fake-cluster.js';
import { useFreezableEnv } from './support/freezable-env.js';
import { waitFor } from './support/wait.js';

/** An elector the test drives: it leads from run() until lose(). */
class ManualElector implements LeaderElector {
  private term: AbortController | null = null;
  private callbacks: LeadershipCallbacks | null = null;

  async run(callbacks: LeadershipCallbacks): Promise<void> {
    this.callbacks = callbacks;
    this.term = new AbortController();
    callbacks.onStartedLeading(this.term.signal);
  }

  isLeader(): boolean {
    return this.term !== null;
  }

  lose(): void {
    this.term?.abort();
    this.term = null;
    this.callbacks?.onStoppedLeading();
  }

  async stop(): Promise<void> {
    this.term?.abort();
    this.term = null;
  }
}

describe('a term of leadership', () => {
  const fixture = useFreezableEnv('term');

  it('a heartbeat begun while leading but answered after the term ended is a 503', async () => {
    const { env, proxy } = fixture;
    const elector = new ManualElector();
    const op = await env.startOperator({ elector, apiUrl: proxy.url });
    await waitFor('ready', async () => (await fetch(`${op.coordinationUrl}/readyz`)).status === 200);
    const agent = env.agent('t-1', { line: 'a' }, () => op);
    // The operator looks the node's labels up on the API server: frozen, the heartbeat waits there.
    proxy.freeze();
    const reply = agent.beat();
    await waitFor('heartbeat held up', () => proxy.waiting() > 0, 5000, 10);
    elector.lose();
    proxy.thaw();
    expect(await reply).toBe(503);
    expect(agent.lastReply).toBeNull();
  });

  it('no store call starts once the term has ended, and calls made in it carry its signal', async () => {
    const seen: Array<AbortSignal | undefined> = [];
    const store = {
      patchStatus: async (job: unknown, _status: unknown, options?: { signal?: AbortSignal }) => {
        seen.push(options?.signal);
        return job;
      },
    } as unknown as JobStore;
    const term = new AbortController();
    const bound = jobStoreInTerm(store, term.signal);
    const job = { metadata: { name: 'j', namespace: 'default' }, spec: {} } as never;
    await bound.patchStatus(job, {});
    expect(seen).toHaveLength(1);
    expect(seen[0]?.aborted).toBe(false);
    term.abort(new Error('term over'));
    expect(seen[0]?.aborted).toBe(true); // a call still in flight is cancelled with the term
    await expect(bound.patchStatus(job, {})).rejects.toThrow('term over');
    expect(seen).toHaveLength(1);
  });

  it('refuses lease settings under which two could lead at once', () => {
    const base = {
      kubeConfig: kubeConfigFor('http://127.0.0.1:1'),
      namespace: 'default',
      name: 'l',
      identity: 'x',
      log: createLogger('lease-test', { level: 'silent' }),
      leaseDurationSeconds: 2,
    };
    expect(() => new KubeLeaseElector({ ...base, renewDeadlineMs: 2000 })).toThrow(
      /renew deadline \(2000 ms\) must be positive and shorter than the lease duration \(2000 ms\)/,
    );
    expect(() => new KubeLeaseElector({ ...base, callTimeoutMs: 1333 })).toThrow(
      /call timeout \(1333 ms\) must be positive and shorter than the renew deadline \(1333 ms\)/,
    );
    expect(() => new KubeLeaseElector({ ...base, retryPeriodMs: 5000 })).toThrow(/retry period/);
    expect(() => new KubeLeaseElector({ ...base, renewDeadlineMs: 1000.5 })).toThrow(/whole milliseconds/);
    expect(new KubeLeaseElector(base).isLeader()).toBe(false);
  });
});

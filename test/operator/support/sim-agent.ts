import { createHash } from 'node:crypto';
import type { AgentJobReport, HeartbeatReply, HeartbeatRequest } from '../../../lib/protocol/heartbeat.js';
import { heartbeatPath } from '../../../lib/protocol/heartbeat.js';

interface JobState {
  job: { namespace: string; name: string };
  active: string | null;
  target: string | null;
  state: AgentJobReport['modelState'];
  reason?: string;
  uploaded: number;
}

/**
 * A simulated edge agent (its labels live on its Node object): heartbeats over real HTTP, downloads the desired model through the
 * presigned URL and checks its sha256, and "loads" it (or fails to, for versions in `failVersions`).
 */
export class SimAgent {
  readonly jobs = new Map<string, JobState>();
  readonly failVersions = new Set<string>();
  lastReply: HeartbeatReply | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly node: string,
    private readonly url: () => string,
    private readonly token: string,
    private readonly download = true,
  ) {}

  /** Active model version per job key. */
  active(key: string): string | null {
    return this.jobs.get(key)?.active ?? null;
  }

  request(): HeartbeatRequest {
    return {
      node: this.node,
      jobs: [...this.jobs.values()].map((j) => ({
        job: j.job,
        activeModel: j.active,
        targetModel: j.target,
        modelState: j.state,
        ...(j.reason ? { reason: j.reason } : {}),
        samplesQueued: 0,
        samplesUploaded: j.uploaded,
        samplesDropped: 0,
        inferences: 10,
        inferenceErrors: 0,
      })),
    };
  }

  /** One heartbeat; applies the reply. Returns the HTTP status. */
  async beat(): Promise<number> {
    const res = await fetch(this.url() + heartbeatPath(this.node), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(this.request()),
    });
    if (res.status !== 200) {
      await res.arrayBuffer();
      return res.status;
    }
    const reply = (await res.json()) as HeartbeatReply;
    this.lastReply = reply;
    for (const d of reply.jobs) {
      const key = `${d.job.namespace}/${d.job.name}`;
      if (d.drop) {
        this.jobs.delete(key);
        continue;
      }
      const j = this.jobs.get(key) ?? {
        job: d.job,
        active: null,
        target: null,
        state: 'Loaded' as const,
        uploaded: 0,
      };
      this.jobs.set(key, j);
      if (!d.model || d.model.version === j.active) {
        j.target = null;
        if (j.state !== 'FailedToLoad' || !d.model) j.state = 'Loaded';
        continue;
      }
      if (j.target === d.model.version && j.state === 'FailedToLoad') continue;
      j.target = d.model.version;
      if (this.failVersions.has(d.model.version)) {
        j.state = 'FailedToLoad';
        j.reason = 'simulated load failure';
        continue;
      }
      if (this.download) {
        const body = Buffer.from(await (await fetch(d.model.url)).arrayBuffer());
        const sha = createHash('sha256').update(body).digest('hex');
        if (sha !== d.model.sha256) {
          j.state = 'FailedToLoad';
          j.reason = 'sha256 mismatch';
          continue;
        }
      }
      j.active = d.model.version;
      j.target = null;
      j.state = 'Loaded';
      j.reason = undefined;
    }
    return 200;
  }

  start(intervalMs: number): void {
    const tick = (): void => {
      this.beat()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

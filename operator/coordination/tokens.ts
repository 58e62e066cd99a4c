import { timingSafeEqual } from 'node:crypto';
import type { JobStore } from '../ports/job-store.js';

/** How agents authenticate: one shared token, and/or per-node tokens in a Secret (key = node name). */
export interface AgentAuthConfig {
  sharedToken?: string;
  tokensSecret?: { namespace: string; name: string };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks agent bearer tokens; the per-node Secret is re-read at most every `ttlMs`. */
export class TokenVerifier {
  private cached: { at: number; tokens: Record<string, string> } | null = null;

  constructor(
    private readonly config: AgentAuthConfig,
    private readonly jobs: JobStore,
    private readonly ttlMs = 15_000,
  ) {
    if (!config.sharedToken && !config.tokensSecret)
      throw new Error('agent auth needs a shared token or a tokens Secret');
  }

  /** True when `token` is the node's own token or the shared one. */
  async verify(node: string, token: string | undefined): Promise<boolean> {
    if (!token) return false;
    if (this.config.tokensSecret) {
      const perNode = (await this.tokens())[node];
      if (perNode && same(perNode, token)) return true;
    }
    return this.config.sharedToken !== undefined && same(this.config.sharedToken, token);
  }

  private async tokens(): Promise<Record<string, string>> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.tokens;
    const s = this.config.tokensSecret!;
    const tokens = (await this.jobs.getSecret(s.namespace, s.name)) ?? {};
    this.cached = { at: Date.now(), tokens };
    return tokens;
  }
}

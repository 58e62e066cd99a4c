import { createHmac } from 'node:crypto';
import { secretMatches } from '../../lib/http/bearer-auth.js';
import type { JobStore } from '../ports/job-store.js';

/**
 * How agents prove which node they are. There is no shared token: a token names one node.
 * - `nodeKey`: the operator's secret key; a node's token is `v1.<HMAC-SHA256(key, node)>`, minted
 *   with `edge-stl operator node-token NODE` and placed on that node only.
 * - `tokensSecret`: a Secret with one token per node (key = node name), for tokens kept elsewhere.
 */
export interface AgentAuthConfig {
  nodeKey?: string;
  tokensSecret?: { namespace: string; name: string };
}

const TOKEN_PREFIX = 'v1.';

/** The token of `node` under `key`: only a holder of the operator key can mint it. */
export function mintNodeToken(key: string, node: string): string {
  return TOKEN_PREFIX + createHmac('sha256', key).update(`edge-stl-node:${node}`).digest('base64url');
}

/** Checks agent bearer tokens; the per-node Secret is re-read at most every `ttlMs`. */
export class TokenVerifier {
  private cached: { at: number; tokens: Record<string, string> } | null = null;

  constructor(
    private readonly config: AgentAuthConfig,
    private readonly jobs: JobStore,
    private readonly ttlMs = 15_000,
  ) {
    if (!config.nodeKey && !config.tokensSecret)
      throw new Error('agent auth needs a node key or a tokens Secret');
    if (config.nodeKey !== undefined && config.nodeKey.length < 16)
      throw new Error('the agent node key must be at least 16 characters');
  }

  /** True when `token` is the token of `node` (and of no other node). */
  async verify(node: string, token: string | undefined): Promise<boolean> {
    if (!token) return false;
    if (this.config.nodeKey && secretMatches(token, mintNodeToken(this.config.nodeKey, node))) return true;
    if (this.config.tokensSecret) {
      const tokens = await this.tokens();
      // Own properties only: a node named `__proto__` or `constructor` is just an unknown node.
      const perNode = Object.hasOwn(tokens, node) ? tokens[node] : undefined;
      if (typeof perNode === 'string' && perNode.length > 0 && secretMatches(token, perNode)) return true;
    }
    return false;
  }

  private async tokens(): Promise<Record<string, string>> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.tokens;
    const s = this.config.tokensSecret!;
    const tokens = (await this.jobs.getSecret(s.namespace, s.name)) ?? {};
    this.cached = { at: Date.now(), tokens };
    return tokens;
  }
}

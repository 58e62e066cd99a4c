import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EdgeStlError } from '../lib/errors/index.js';
import type { Fetch } from '../lib/net/trusted-fetch.js';

/** The operator refused or garbled a call. */
export class HeartbeatError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HEARTBEAT_FAILED', message, options);
  }
}

export interface OperatorClientOptions {
  /** Coordination API base URL (https in a cluster). */
  operatorUrl: string;
  /** This node's own token (minted for this node by the operator's key). */
  token: string | null;
  /** A fetch trusting the operator's CA (EDGE_STL_CA_FILE); default: global fetch (public roots). */
  fetch?: Fetch;
  requestTimeoutMs?: number;
}

/** Calls of one node to the coordination API: bearer token, TLS trust, deadline, checked replies. */
export class OperatorClient {
  constructor(readonly options: OperatorClientOptions) {}

  /** POSTs `body` to `path` and returns the reply, checked against `schema`. Throws on any failure. */
  async post<S extends TSchema>(
    path: string,
    body: unknown,
    schema: S,
    signal?: AbortSignal,
  ): Promise<Static<S>> {
    const { operatorUrl, token } = this.options;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000);
    const res = await (this.options.fetch ?? fetch)(`${operatorUrl}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text();
    if (!res.ok) throw new HeartbeatError(`operator answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new HeartbeatError('operator reply is not JSON', { cause: err });
    }
    if (!Value.Check(schema, parsed)) {
      const first = Value.Errors(schema, parsed).First();
      throw new HeartbeatError(
        `operator reply does not match the protocol: ${first?.path} ${first?.message}`,
      );
    }
    return parsed;
  }
}

/**
 * Registers the built-in algorithms in the ClassFactory, so a manifest's `algorithm: FPN` resolves.
 * Imported for its side effect by the CLI and by `startEdgeAgent` callers that serve built-in models.
 */
import type { BaseModelConstructor } from '../lib/algorithm-api/index.js';
import { ThreadedFpnModel } from '../lib/builtin-algorithms/index.js';

/**
 * Built-in algorithms the agent serves with another class than the one that trains them: the FPN
 * runs in a worker thread of its own, so an inference never blocks /healthz, /readyz or /metrics.
 */
export const SERVING_CLASSES: Readonly<Record<string, BaseModelConstructor>> = { FPN: ThreadedFpnModel };

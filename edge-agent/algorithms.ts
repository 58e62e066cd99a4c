/**
 * Registers the built-in algorithms in the ClassFactory, so a manifest's `algorithm: FPN` resolves.
 * Imported for its side effect by the CLI and by `startEdgeAgent` callers that serve built-in models.
 */
import '../lib/algorithms/index.js';

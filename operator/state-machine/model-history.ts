import type { ModelRecord, ModelRecordState } from '../../lib/api/v1alpha1/index.js';
import { MAX_MODEL_HISTORY } from '../../lib/api/v1alpha1/index.js';

/** Appends or replaces (by version) a record and keeps the newest MAX_MODEL_HISTORY. */
export function recordModel(history: readonly ModelRecord[] | undefined, record: ModelRecord): ModelRecord[] {
  const list = (history ?? []).filter((m) => m.version !== record.version);
  list.push(record);
  return list.slice(-MAX_MODEL_HISTORY);
}

/** Sets the state of one version in the history (no-op when absent). */
export function markModel(
  history: readonly ModelRecord[] | undefined,
  version: string,
  state: ModelRecordState,
  reason?: string,
): ModelRecord[] {
  return (history ?? []).map((m) =>
    m.version === version ? { ...m, state, ...(reason ? { reason } : {}) } : m,
  );
}

/** A deployable record of a version (with uri and sha256), for pinning and rollback. */
export function findDeployable(
  history: readonly ModelRecord[] | undefined,
  version: string,
): ModelRecord | undefined {
  return (history ?? []).find((m) => m.version === version && m.uri && m.sha256);
}

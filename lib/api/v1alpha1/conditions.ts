import type { Condition } from './generated-types.js';
import type { ConditionInput } from './types.js';

/**
 * Upserts a condition by type, as controller-runtime's `meta.SetStatusCondition`: one entry per type,
 * `lastTransitionTime` moves only when the status flips, reason/message/observedGeneration always
 * update. Returns a new array (order kept, new types appended); the input is not modified.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  observedGeneration: number | undefined,
  now: Date | string = new Date(),
): Condition[] {
  const list = [...(conditions ?? [])];
  const time = typeof now === 'string' ? now : now.toISOString();
  const index = list.findIndex((c) => c.type === input.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message ?? '',
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : time,
    ...((input.observedGeneration ?? observedGeneration) !== undefined
      ? { observedGeneration: input.observedGeneration ?? observedGeneration }
      : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** The condition of a type, if present. */
export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition of that type is present with status `True`. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** The list without the condition of that type (a new array). */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** True when both lists hold the same conditions, ignoring order (to skip no-op status patches). */
export function conditionsEqual(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((c) => {
    const other = getCondition(right, c.type);
    return (
      other !== undefined &&
      other.status === c.status &&
      (other.reason ?? '') === (c.reason ?? '') &&
      (other.message ?? '') === (c.message ?? '') &&
      other.lastTransitionTime === c.lastTransitionTime &&
      other.observedGeneration === c.observedGeneration
    );
  });
}

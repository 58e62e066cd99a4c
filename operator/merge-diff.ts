/**
 * The JSON merge patch (RFC 7386) that turns `from` into `to`: changed keys carry their new value,
 * removed keys carry null, arrays are replaced whole. Returns undefined when nothing changed.
 */
export function mergeDiff(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to))
    return JSON.stringify(from) === JSON.stringify(to) ? undefined : (to ?? null);
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const a = from[key];
    const b = to[key];
    if (b === undefined) {
      if (a !== undefined) patch[key] = null;
      continue;
    }
    const d = a === undefined ? b : mergeDiff(a, b);
    if (d !== undefined) patch[key] = d;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON copy without undefined members (what a round trip through the API would give). */
export function toJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Applies a JSON merge patch (RFC 7386) to a value; returns a new value. */
export function mergePatchApply(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatchApply(out[k], v);
  }
  return out;
}

/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902, including `test`) as the kube-apiserver
 * applies them. Pure functions on plain JSON values.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A JSON patch operation failed (bad path, failed `test`): the apiserver answers 422. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly testFailed = false,
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescape);
}

function walk(doc: unknown, tokens: string[]): unknown {
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  return v;
}

function add(doc: unknown, tokens: string[], value: unknown, replace: boolean): unknown {
  if (tokens.length === 0) return structuredClone(value);
  const parent = walk(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(idx) || idx < 0 || idx > parent.length || (replace && idx >= parent.length))
      throw new PatchError(`array index ${last} out of range`);
    if (replace) parent[idx] = structuredClone(value);
    else parent.splice(idx, 0, structuredClone(value));
  } else if (isObject(parent)) {
    if (replace && !(last in parent))
      throw new PatchError(`replace: path /${tokens.join('/')} does not exist`);
    parent[last] = structuredClone(value) as Json;
  } else throw new PatchError(`path /${tokens.join('/')} has no parent`);
  return doc;
}

function remove(doc: unknown, tokens: string[]): unknown {
  const parent = walk(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const idx = Number(last);
    if (!(idx >= 0 && idx < parent.length)) throw new PatchError(`remove: index ${last} out of range`);
    parent.splice(idx, 1);
  } else if (isObject(parent) && last in parent) delete parent[last];
  else throw new PatchError(`remove: path /${tokens.join('/')} does not exist`);
  return doc;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** RFC 6902. A failed `test` throws PatchError with `testFailed`; the whole patch is atomic. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    const tokens = parsePointer(raw.path);
    switch (raw.op) {
      case 'add':
        doc = add(doc, tokens, raw.value, false);
        break;
      case 'replace':
        doc = add(doc, tokens, raw.value, true);
        break;
      case 'remove':
        doc = remove(doc, tokens);
        break;
      case 'test':
        if (!deepEqual(walk(doc, tokens), raw.value))
          throw new PatchError(`test failed at ${raw.path}: value does not match`, true);
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(raw.from ?? '');
        const value = structuredClone(walk(doc, from));
        if (value === undefined) throw new PatchError(`${raw.op}: from ${raw.from} does not exist`);
        if (raw.op === 'move') doc = remove(doc, from);
        doc = add(doc, tokens, value, false);
        break;
      }
      default:
        throw new PatchError(`unknown JSON patch op ${String((raw as { op: unknown }).op)}`);
    }
  }
  return doc;
}

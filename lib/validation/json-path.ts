import { ROOT_PATH } from './types.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends a property name or array index to a dotted JSON path (`a.b[0]["x/y"]`). */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!IDENTIFIER.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

/**
 * Turns an ajv `instancePath` (a JSON pointer) into a dotted path, walking the data so that array
 * indexes print as `[i]` and map keys such as `edgestl.io/line` stay whole.
 */
export function pointerToPath(pointer: string, data: unknown): string {
  if (!pointer) return '';
  let path = '';
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      path = joinPath(path, Number(key));
      node = node[Number(key)];
    } else {
      path = joinPath(path, key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

/** The path as printed: the root is shown as `(root)`. */
export function displayPath(path: string): string {
  return path || ROOT_PATH;
}

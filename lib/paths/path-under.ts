import { isAbsolute, relative, resolve, sep } from 'node:path';
import { EdgeStlError } from '../errors/index.js';

/** A path built from outside data would leave its root. */
export class PathEscapeError extends EdgeStlError {
  constructor(root: string, parts: readonly string[]) {
    super('PATH_ESCAPE', `path ${JSON.stringify(parts.join('/'))} would leave ${root}`);
  }
}

/**
 * Joins `parts` under `root` and returns the result, or throws {@link PathEscapeError} when it would
 * not lie strictly below `root` (`..`, absolute parts, empty results). Every file path built from
 * names that came off the network goes through here, as a second wall behind name validation.
 */
export function pathUnder(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const full = resolve(base, ...parts);
  const rel = relative(base, full);
  if (
    parts.some((p) => p.includes('\0')) ||
    rel === '' ||
    rel === '..' ||
    rel.startsWith(`..${sep}`) ||
    isAbsolute(rel)
  )
    throw new PathEscapeError(base, parts);
  return full;
}

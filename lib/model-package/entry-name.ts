import { ModelPackageError } from './model-package-error.js';

/** Longest entry name accepted, in characters. */
const MAX_NAME_LENGTH = 1024;

/**
 * Decodes a raw zip entry name: UTF-8 when the entry says so (general purpose bit 11), else only
 * plain ASCII is accepted, so that a CP437 name can never decode into something surprising.
 */
export function decodeEntryName(raw: Buffer, generalPurposeBitFlag: number): string {
  if ((generalPurposeBitFlag & 0x800) !== 0) {
    const name = raw.toString('utf8');
    if (name.includes('\uFFFD')) {
      throw new ModelPackageError('UNSAFE_PATH', `Entry name is not valid UTF-8: ${JSON.stringify(name)}`);
    }
    return name;
  }
  if (raw.some((byte) => byte > 0x7f)) {
    throw new ModelPackageError(
      'UNSAFE_PATH',
      `Entry name ${JSON.stringify(raw.toString('latin1'))} is not ASCII and not marked UTF-8`,
    );
  }
  return raw.toString('ascii');
}

/**
 * Checks that an entry name is a plain relative path that stays inside the extraction directory:
 * no absolute paths or drive letters, no `..`, `.` or empty segments, no backslashes (a separator on
 * Windows), no control characters. Returns the name without a trailing `/` (directories).
 */
export function checkEntryName(name: string): string {
  const refuse = (why: string): never => {
    throw new ModelPackageError('UNSAFE_PATH', `Unsafe entry name ${JSON.stringify(name)}: ${why}`);
  };
  if (name.length === 0) refuse('empty');
  if (name.length > MAX_NAME_LENGTH) refuse(`longer than ${MAX_NAME_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) refuse('control character');
  if (name.includes('\\')) refuse('backslash');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) refuse('absolute path');
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  for (const segment of trimmed.split('/')) {
    if (segment === '..') refuse('path traversal');
    if (segment === '.' || segment === '') refuse('empty or "." path segment');
  }
  return trimmed;
}

import type { JobKey } from './heartbeat.js';
import { isValidName } from './names.js';

/** `<namespace>/<name>`: how a job is named in queues, URLs, metrics and state files. */
export function jobKey(job: JobKey): string {
  return `${job.namespace}/${job.name}`;
}

/** Inverse of {@link jobKey}: the namespace is everything before the first `/`. */
export function parseJobKey(key: string): JobKey {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * `<namespace>/<name>` as a user writes it (a flag, a variable), checked against the namespace and
 * job name patterns every part uses; null when it is not one.
 */
export function jobKeyFromText(text: string): JobKey | null {
  const i = text.indexOf('/');
  if (i < 0) return null;
  const job = { namespace: text.slice(0, i), name: text.slice(i + 1) };
  return isValidName('namespace', job.namespace) && isValidName('job name', job.name) ? job : null;
}

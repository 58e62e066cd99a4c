import type { JobKey } from './heartbeat.js';

/** `<namespace>/<name>`: how a job is named in queues, URLs, metrics and state files. */
export function jobKey(job: JobKey): string {
  return `${job.namespace}/${job.name}`;
}

/** Inverse of {@link jobKey}: the namespace is everything before the first `/`. */
export function parseJobKey(key: string): JobKey {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

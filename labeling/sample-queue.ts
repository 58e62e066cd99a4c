import { labeledPrefix, samplesPrefix } from '../lib/storage/layout.js';
import type { ObjectStore } from '../lib/storage/object-store.js';

/** One uploaded sample, as listed. */
export interface SampleEntry {
  node: string;
  id: string;
  uploadedAt: string;
}

/** The samples of a job, newest first, split by whether they still need labels. */
export interface SampleListing {
  counts: { total: number; labeled: number; pending: number };
  pending: SampleEntry[];
}

/** Sidecar records of labeled samples: `labeled/<ns>/<job>/meta/<node>/<id>.json`. */
export function labelMetaKey(namespace: string, job: string, node: string, id: string): string {
  return `${labeledPrefix(namespace, job)}meta/${node}/${id}.json`;
}

/**
 * Lists a job's samples from `samples/<ns>/<job>/<node>/<id>.json` (the JSON is uploaded last, so a
 * listed JSON means a complete sample) and drops those that already have a label sidecar.
 */
export async function listSamples(
  store: ObjectStore,
  bucket: string,
  namespace: string,
  job: string,
): Promise<SampleListing> {
  const prefix = samplesPrefix(namespace, job);
  const [objects, metas] = await Promise.all([
    store.list(bucket, prefix, { recursive: true }),
    store.list(bucket, `${labeledPrefix(namespace, job)}meta/`, { recursive: true }),
  ]);
  const labeled = new Set(
    metas.map((m) => m.key.slice(`${labeledPrefix(namespace, job)}meta/`.length).replace(/\.json$/, '')),
  );
  const all: Array<SampleEntry & { time: number }> = [];
  for (const object of objects) {
    const rest = object.key.slice(prefix.length);
    const match = /^([^/]+)\/([^/]+)\.json$/.exec(rest);
    if (!match) continue;
    all.push({
      node: match[1],
      id: match[2],
      uploadedAt: object.lastModified.toISOString(),
      time: object.lastModified.getTime(),
    });
  }
  all.sort((a, b) => b.time - a.time || a.id.localeCompare(b.id));
  const pending = all.filter((s) => !labeled.has(`${s.node}/${s.id}`)).map(({ time: _time, ...s }) => s);
  return {
    counts: { total: all.length, labeled: all.length - pending.length, pending: pending.length },
    pending,
  };
}

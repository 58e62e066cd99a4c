/** The data crash-writer-process.ts writes and crash-atomicity.test.ts checks: deterministic. */
import { createHash } from 'node:crypto';
import type { SampleRecord } from '../../../lib/protocol/index.js';

/** Versions of the file the `atomic` mode writes over version 0. */
export const VERSIONS = 4;
/** Samples the `outbox` mode adds. */
export const SAMPLES = 4;

/** Version `v` of the atomically replaced file: 40 KB, so a write takes several chunks. */
export function versionText(v: number): string {
  return JSON.stringify({ version: v, body: `${v}`.repeat(40_000) });
}

/** Sample `i`: 24 KB of bytes standing in for a JPEG (the outbox does not decode it) and its record. */
export function sampleOf(i: number): { record: SampleRecord; jpeg: Buffer } {
  const jpeg = Buffer.alloc(24_000);
  for (let k = 0; k < jpeg.length; k++) jpeg[k] = (k * 31 + i * 17 + (k >> 8)) & 0xff;
  const id = createHash('sha256').update(jpeg).digest('hex');
  const record: SampleRecord = {
    id,
    job: { namespace: 'default', name: 'crash' },
    node: 'crash-node',
    bucket: 'unused',
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    model: { job: 'crash', version: 'v1' },
    reason: 'all',
    image: { width: 8, height: 8, format: 'jpeg' },
    detections: [{ class: 'defect', score: 0.9, box: { xmin: 1, ymin: 1, xmax: 4, ymax: 4 } }],
  };
  return { record, jpeg };
}

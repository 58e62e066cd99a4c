import { EdgeStlError } from '../lib/errors/index.js';
import { sampleRecordProblem, type SampleRecord } from '../lib/protocol/index.js';

/**
 * Parses an edge sample's `<id>.json` (the {@link SampleRecord} the agent uploads); a malformed one
 * is an {@link EdgeStlError} `INVALID_SAMPLE` naming its key. `id` is the sha256 of the image
 * bytes, which is what the oracle matches ground truth by.
 */
export function parseSampleRecord(text: string, key: string): SampleRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EdgeStlError('INVALID_SAMPLE', `sample ${key} is not valid JSON`, { cause: err });
  }
  const problem = sampleRecordProblem(value);
  if (problem) throw new EdgeStlError('INVALID_SAMPLE', `sample ${key} is malformed: ${problem}`);
  return value as SampleRecord;
}

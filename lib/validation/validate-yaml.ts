import { loadAll } from 'js-yaml';
import type { ValidationError } from './types.js';
import { validateJob } from './validate-job.js';

/** Validation outcome of one YAML document of a file. */
export interface DocumentResult {
  /** 1-based position of the document in the file. */
  document: number;
  /** `metadata.name`, when the document has one. */
  name?: string;
  errors: ValidationError[];
}

/**
 * Validates every SingleTaskLearningJob in a (multi-document) YAML text. Empty documents are skipped;
 * a syntax error or a text with no document is reported as an error of document 1.
 */
export function validateYamlText(text: string, filename?: string): DocumentResult[] {
  let docs: unknown[];
  try {
    docs = loadAll(text, null, filename ? { filename } : {}).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return [{ document: 1, errors: [{ path: '', message: `YAML syntax error: ${detail}` }] }];
  }
  if (docs.length === 0) return [{ document: 1, errors: [{ path: '', message: 'no YAML document found' }] }];
  return docs.map((doc, i) => {
    const name = (doc as { metadata?: { name?: unknown } }).metadata?.name;
    return {
      document: i + 1,
      ...(typeof name === 'string' ? { name } : {}),
      errors: validateJob(doc).errors,
    };
  });
}

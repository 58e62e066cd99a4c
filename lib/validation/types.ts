/** One problem found in a resource: where (a JSON path such as `spec.edge.sampling.thresholdImg`) and what. */
export interface ValidationError {
  path: string;
  message: string;
}

/** Outcome of validating one resource; `errors` lists every problem, not just the first. */
export interface ValidationResult {
  valid: boolean;
  errors: ValidationError[];
}

/** Path shown for an error about the document itself. */
export const ROOT_PATH = '(root)';

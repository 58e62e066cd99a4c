/** Jobs the operator reconciles at the same time unless told otherwise (CLI and programmatic use). */
export const DEFAULT_RECONCILE_CONCURRENCY = 8;

/** Jobs the operator reconciles at the same time unless told otherwise (CLI and programmatic use). */
export const DEFAULT_RECONCILE_CONCURRENCY = 8;

/** Lifetime of the leader's Lease without renewal, s (the CLI's `--lease-duration`). */
export const DEFAULT_LEASE_DURATION_SECONDS = 15;

/** HTTP status of an error thrown by @kubernetes/client-node (ApiException.code or a watch error's statusCode). */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** True for 404. */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** True for an optimistic-concurrency failure: 409, or 422 from a failed JSON patch `test`. */
export function isConflict(err: unknown): boolean {
  const s = statusOf(err);
  return s === 409 || s === 422;
}

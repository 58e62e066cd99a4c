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

/** True for an optimistic-concurrency failure (409 Conflict). */
export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

/** True for 422 Unprocessable Entity: the API server found the object invalid (not a race). */
export function isInvalid(err: unknown): boolean {
  return statusOf(err) === 422;
}

/** The API server's own message for a failed request (the Status body), else the error's. */
export function messageOf(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | undefined;
    if (typeof status?.message === 'string') return status.message;
  } catch {
    // not a Status body
  }
  return (err as Error)?.message ?? String(err);
}

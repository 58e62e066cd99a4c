import pLimit from 'p-limit';

/**
 * Runs `work` on every item with at most `limit` running at once and returns the results in item
 * order. The first failure rejects, and items not started by then are never started.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const run = pLimit(limit);
  let failed = false;
  return Promise.all(
    items.map((item, i) =>
      run(async () => {
        // p-limit starts the next item as one settles, before Promise.all has seen the rejection.
        if (failed) return undefined as R;
        try {
          return await work(item, i);
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    ),
  );
}

/** {@link mapLimit} for work without a result. */
export async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  await mapLimit(items, limit, work);
}

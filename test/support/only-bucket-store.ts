import type { ObjectStore } from '../../lib/storage/object-store.js';

/**
 * A store whose keys open one bucket only, as a per-team S3 user's would: a call on any other bucket
 * fails with AccessDenied. (Every ObjectStore method takes the bucket first.)
 */
export function onlyBucket(store: ObjectStore, bucket: string): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        args[0] === bucket
          ? (value as (...a: unknown[]) => unknown).apply(target, args)
          : Promise.reject(new Error(`AccessDenied: these keys open ${bucket}, not ${String(args[0])}`));
    },
  });
}

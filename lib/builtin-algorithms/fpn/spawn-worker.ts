import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a sibling module of this directory (`name` without extension): the
 * compiled `.js` in a build, the `.ts` source through tsx otherwise (loader hooks are not
 * inherited by workers, so tsx is registered inside the worker first).
 */
export function spawnWorker(name: string, workerData: unknown): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(`./${name}${fromSources ? '.ts' : '.js'}`, import.meta.url);
  if (!fromSources) return new Worker(url, { workerData });
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

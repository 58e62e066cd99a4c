import { jobKey, refOf, type JobStore } from '../ports/job-store.js';
import { periodicRunner, type Runner } from './periodic.js';

/** Reconciles every job at least every `intervalSeconds`, whether or not it changed. */
export function resyncRunner(input: {
  jobs: JobStore;
  enqueue: (key: string) => void;
  intervalSeconds: number;
}): Runner {
  return periodicRunner(input.intervalSeconds, () => {
    for (const job of input.jobs.list()) input.enqueue(jobKey(refOf(job)));
  });
}

import { WorkQueue } from '../../operator/work-queue.js';
import { waitFor } from './support/wait.js';

describe('WorkQueue', () => {
  it('deduplicates waiting keys and never runs one key concurrently', async () => {
    const running = new Set<string>();
    let overlap = false;
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async (key) => {
        if (running.has(key)) overlap = true;
        running.add(key);
        runs.push(key);
        if (runs.length === 1) await gate;
        running.delete(key);
      },
      { concurrency: 1 },
    );
    q.start();
    q.add('a');
    await waitFor('a running', () => runs.length === 1);
    // While a runs: two adds of a collapse into one rerun after it; waiting b is queued once.
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('b');
    q.add('c');
    release();
    await waitFor('all ran', () => runs.length === 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toEqual(['a', 'b', 'c', 'a']);
    expect(overlap).toBe(false);
    await q.shutdown();
  });

  it('retries a failing key with per-key exponential backoff, then forgets the failures', async () => {
    const times: number[] = [];
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (times.length <= 3) throw new Error('boom');
      },
      { baseDelayMs: 40, onError: (_k, _e, attempt) => errors.push(attempt) },
    );
    q.start();
    q.add('k');
    await waitFor('four runs', () => times.length === 4, 5000, 5);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(errors).toEqual([1, 2, 3]);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    await q.shutdown();
  });

  it('honours requeueAfter, keeping the earliest timer per key', async () => {
    const runs: number[] = [];
    const started = Date.now();
    const q = new WorkQueue(async () => {
      runs.push(Date.now() - started);
      return runs.length === 1 ? { requeueAfterMs: 150 } : {};
    });
    q.start();
    q.add('k');
    q.addAfter('other', 10_000);
    await waitFor('requeued run', () => runs.length === 2, 3000, 5);
    expect(runs[1]).toBeGreaterThanOrEqual(140);
    q.addAfter('k', 500);
    q.addAfter('k', 60); // earlier wins
    const before = runs.length;
    await waitFor('early timer', () => runs.length === before + 1, 400, 5);
    await q.shutdown();
  });

  it('stops at once when its signal aborts: no waiting key, timer or retry runs afterwards', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const leadership = new AbortController();
    const q = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (key === 'slow') {
          await gate;
          throw new Error('cancelled');
        }
        return { requeueAfterMs: 20 };
      },
      { concurrency: 1, baseDelayMs: 1, signal: leadership.signal },
    );
    q.start();
    q.add('fast'); // runs, then asks to come back in 20 ms
    q.add('slow');
    q.add('waiting');
    await waitFor('slow running', () => runs.includes('slow'), 2000, 5);
    leadership.abort();
    release(); // the handler in flight ends (as a cancelled reconcile does) after the abort
    q.add('late');
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toEqual(['fast', 'slow']);
    expect(q.size()).toBe(0);
    q.start(); // a queue whose signal has aborted does not start again
    q.add('again');
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toEqual(['fast', 'slow']);
    await q.shutdown();
  });
});

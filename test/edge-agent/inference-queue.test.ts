import { AgentError } from '../../edge-agent/agent-error.js';
import { InferenceQueue } from '../../edge-agent/inference-queue.js';

describe('InferenceQueue', () => {
  it('runs at most `concurrency` tasks, queues up to `limit`, refuses the next with 429', async () => {
    const queue = new InferenceQueue(2, 1);
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const task = () =>
      queue.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running -= 1;
        return 'ok';
      });
    const accepted = [task(), task(), task()];
    await new Promise((r) => setTimeout(r, 10));
    expect(queue.size).toBe(3);
    const refused = await task().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AgentError);
    expect((refused as AgentError).statusCode).toBe(429);
    const all = Promise.all(accepted);
    for (let released = 0; released < 3;) {
      const gate = gates.shift();
      if (gate) {
        gate();
        released += 1;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await all).toEqual(['ok', 'ok', 'ok']);
    expect(peak).toBe(2);
    expect(queue.size).toBe(0);
  });

  it('frees the slot when a task throws', async () => {
    const queue = new InferenceQueue(1, 0);
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run(async () => 42)).resolves.toBe(42);
  });
});

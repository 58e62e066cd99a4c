import type { RunningOperator } from '../../operator/operator.js';
import { startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

/** A gauge's samples in a scrape: label set → value. */
async function gauge(op: RunningOperator, name: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${op.coordinationUrl}/metrics`)).text();
  const samples: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const sample = /^(\S+?)\{(.*)\} (\S+)$/.exec(line);
    if (sample && sample[1] === name) samples[sample[2]] = Number(sample[3]);
  }
  return samples;
}

describe('operator gauges and periodic work', () => {
  let env: OperatorEnv;
  beforeAll(async () => {
    env = await startOperatorEnv('periodic');
  });
  afterAll(async () => {
    await env.close();
  });

  it('counts jobs and agents when scraped, and evicts silent agents on its own interval', async () => {
    // Status stays Stale-free (resync is slow); eviction comes from the sweep every second.
    const op = await env.startOperator({ evictAfterSeconds: 4, sweepSeconds: 1 });
    const jobs = (await op.metrics.jobsByPhase.get()).name;
    const agents = (await op.metrics.agentsByState.get()).name;
    env.createJob('gauged');
    // Right away, not after a timer's first tick.
    await waitFor('a status', () => env.job('gauged')?.status?.phase);
    expect(Object.values(await gauge(op, jobs)).reduce((a, b) => a + b, 0)).toBe(1);
    await waitFor('serving', () => env.job('gauged')?.status?.phase === 'Serving');
    expect(await gauge(op, jobs)).toEqual({ 'phase="Serving"': 1 });

    const agent = env.agent('node-g', { line: 'a' });
    agent.start(200);
    await waitFor('node-g in status', () =>
      env.job('gauged')?.status?.edgeNodes?.some((n) => n.name === 'node-g' && n.state === 'Online'),
    );
    expect(await gauge(op, agents)).toEqual({ 'state="Online"': 1, 'state="Stale"': 0 });
    agent.stop();
    await waitFor('node-g stale', async () => (await gauge(op, agents))['state="Stale"'] === 1, 10_000);
    expect((await gauge(op, agents))['state="Online"']).toBe(0);
    await waitFor(
      'node-g evicted from status',
      () => !env.job('gauged')?.status?.edgeNodes?.some((n) => n.name === 'node-g'),
      10_000,
    );
    expect(await gauge(op, agents)).toEqual({ 'state="Online"': 0, 'state="Stale"': 0 });
  });
});

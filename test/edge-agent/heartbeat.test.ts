import type { HeartbeatReply } from '../../lib/protocol/index.js';
import { HeartbeatLoop } from '../../edge-agent/heartbeat.js';
import { AgentMetrics } from '../../edge-agent/metrics.js';
import { OperatorClient } from '../../edge-agent/operator-client.js';
import { startFakeOperator, testLogger, waitFor } from './support/agent-harness.js';

const REPLY: HeartbeatReply = {
  jobs: [
    {
      job: { namespace: 'ns', name: 'job' },
      model: null,
      sampling: { strategy: 'ibt', thresholdImg: 0.4, thresholdBox: 0.6, maxPerMinute: 10 },
      storage: { bucket: 'b' },
      drop: false,
    },
  ],
  heartbeatIntervalSeconds: 1,
};

describe('HeartbeatLoop', () => {
  it('backs off while the operator refuses, then applies the reply and follows its interval', async () => {
    const operator = await startFakeOperator(null);
    const times: number[] = [];
    const metrics = new AgentMetrics('n1', { defaultMetrics: false });
    const replies: HeartbeatReply[] = [];
    const loop = new HeartbeatLoop({
      client: new OperatorClient({ operatorUrl: operator.url, token: 't0ken' }),
      node: 'n1',
      report: () => {
        times.push(Date.now());
        return { node: 'n1', jobs: [] };
      },
      onReply: async (reply) => void replies.push(reply),
      intervalSeconds: 30,
      baseBackoffMs: 100,
      maxBackoffMs: 1000,
      metrics,
      log: testLogger(),
    });
    loop.start();
    try {
      await waitFor(() => times.length >= 5, 10_000, 'five failed heartbeats');
      // The first gap also holds the first connection's set-up, so compare from the second one on.
      const gaps = times.slice(2).map((t, i) => t - times[i + 1]);
      // Equal jitter doubles the ceiling each time, so each wait is at least as long as the one before.
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1] - 30);
      expect(gaps.at(-1)).toBeGreaterThanOrEqual(2 * gaps[0] - 30);
      expect(replies).toEqual([]);
      expect((await metrics.heartbeatFailures.get()).values[0].value).toBeGreaterThanOrEqual(4);

      operator.setReply(REPLY);
      await waitFor(() => replies.length >= 2, 15_000, 'two replies');
      expect(replies[0]).toEqual(REPLY);
      const [a, b] = times.slice(-2);
      expect(b - a).toBeGreaterThanOrEqual(900); // the reply's 1 s interval, not the 30 s default
      expect(operator.authorization.at(-1)).toBe('Bearer t0ken');
      expect(operator.heartbeats.at(-1)).toEqual({ node: 'n1', jobs: [] });
    } finally {
      await loop.stop();
      await operator.close();
    }
  });

  it('counts a reply that breaks the protocol as a failure and does not apply it', async () => {
    const operator = await startFakeOperator({ jobs: [], heartbeatIntervalSeconds: 0 } as HeartbeatReply);
    const loop = new HeartbeatLoop({
      client: new OperatorClient({ operatorUrl: operator.url, token: null }),
      node: 'n1',
      report: () => ({ node: 'n1', jobs: [] }),
      onReply: async () => {
        throw new Error('must not be called');
      },
      intervalSeconds: 1,
      maxBackoffMs: 1000,
      metrics: new AgentMetrics('n1', { defaultMetrics: false }),
      log: testLogger(),
    });
    await expect(loop.beat()).rejects.toThrow(/does not match the protocol: \/heartbeatIntervalSeconds/);
    await operator.close();
  });
});

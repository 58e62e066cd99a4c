import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathUnder } from '../../lib/paths/index.js';
import type { HeartbeatReply } from '../../lib/protocol/index.js';
import { sampleKey } from '../../lib/storage/layout.js';
import {
  removeTempDirs,
  startFakeOperator,
  startTestAgent,
  tempDir,
  waitFor,
} from './support/agent-harness.js';

/** What a hostile operator (or anyone on a plain-HTTP path) answers: a job key that is a path. */
function hostileReply(drop: boolean): HeartbeatReply {
  return {
    jobs: [
      {
        job: { namespace: '../../../../outside', name: 'job' },
        model: null,
        sampling: { strategy: 'all', thresholdImg: 0.5, thresholdBox: 0.5, maxPerMinute: 0 },
        storage: { bucket: 'edge-stl' },
        drop,
      },
    ],
    heartbeatIntervalSeconds: 1,
  };
}

describe('names off the wire are data, never paths', () => {
  afterAll(removeTempDirs);

  it('refuses an operator reply naming namespace ../../../../outside and touches nothing outside the data dir', async () => {
    const root = await tempDir('wire-names');
    // models/<ns>_<job> with that namespace resolves four levels up from <dataDir>/models: <root>/a.
    const dataDir = join(root, 'a', 'b', 'c', 'data');
    const victim = join(root, 'a', 'outside_job');
    await mkdir(victim, { recursive: true });
    await writeFile(join(victim, 'precious.txt'), 'keep me');

    const operator = await startFakeOperator(hostileReply(false));
    const agent = await startTestAgent({
      dataDir,
      operatorUrl: operator.url,
      limits: { heartbeatIntervalSeconds: 1, maxBackoffMs: 200 },
    });
    try {
      await waitFor(() => operator.heartbeats.length >= 2, 15_000, 'two heartbeats');
      operator.setReply(hostileReply(true));
      const seen = operator.heartbeats.length;
      await waitFor(() => operator.heartbeats.length >= seen + 2, 15_000, 'two more heartbeats');

      expect(await readFile(join(victim, 'precious.txt'), 'utf8')).toBe('keep me');
      expect(await readdir(join(root, 'a'))).toEqual(expect.arrayContaining(['outside_job', 'b']));
      // The agent never took the job on: it reports none, and the replies count as failures.
      expect(operator.heartbeats.at(-1)?.jobs).toEqual([]);
      const failures = await agent.agent.metrics.heartbeatFailures.get();
      expect(failures.values[0]?.value).toBeGreaterThanOrEqual(3);
      expect(
        JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8').catch(() => '{"jobs":{}}')).jobs,
      ).toEqual({});
    } finally {
      await agent.close();
      await operator.close();
    }
  });

  it('keeps every built path under its root and every S3 key inside its job', () => {
    expect(pathUnder('/data/models', 'ns_job')).toBe('/data/models/ns_job');
    for (const bad of ['../x', '../../outside_job', '/etc', 'a/../../b', '', '.', 'a\0b'])
      expect(() => pathUnder('/data/models', bad)).toThrow(/would leave/);
    expect(sampleKey('ns', 'job', 'node-1', 'abc', 'json')).toBe('samples/ns/job/node-1/abc.json');
    for (const [ns, job, node, id] of [
      ['..', 'job', 'n', 'i'],
      ['ns', 'a/../b', 'n', 'i'],
      ['ns', 'job', '../n', 'i'],
      ['ns', 'job', 'n', '../../models/x'],
      ['ns', 'job', 'N_1', 'i'],
      ['__proto__', 'job', 'n', 'i'],
    ])
      expect(() => sampleKey(ns, job, node, id, 'jpeg')).toThrow(/invalid/);
  });
});

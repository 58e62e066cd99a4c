import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { DesiredState, type ModelResolver } from '../../operator/coordination/desired-state.js';

/** A job cache like the informer's: every change replaces the object, never mutates it. */
class JobCache {
  private readonly jobs = new Map<string, SingleTaskLearningJob>();

  list = (): readonly SingleTaskLearningJob[] => [...this.jobs.values()];

  put(name: string, change: (job: SingleTaskLearningJob) => void = () => undefined): void {
    const job: SingleTaskLearningJob = structuredClone(
      this.jobs.get(name) ?? {
        metadata: { namespace: 'ns', name, uid: `uid-${name}` },
        spec: {
          dataset: { trainIndex: 's3://b/t', testIndex: 's3://b/s', classes: ['a'] },
          storage: { bucket: `bucket-${name}`, credentialsSecret: 's' },
          edge: { nodeSelector: { line: 'k' } },
        },
        status: { currentModel: { version: 'v0', uri: `s3://b/${name}/v0.zip`, sha256: 'a'.repeat(64) } },
      },
    );
    change(job);
    this.jobs.set(name, job);
  }

  remove(name: string): void {
    this.jobs.delete(name);
  }
}

/** Model URLs named after job and version, so a reply shows which version it carries. */
const urls: ModelResolver = {
  resolve: async (job, version) => ({
    model: { version, url: `https://s3/${job.metadata!.name}/${version}`, sha256: 'a'.repeat(64) },
    until: Infinity,
  }),
};

/** The precomputed per-node desired state must follow every change of jobs and node labels. */
describe('DesiredState', () => {
  let cache: JobCache;
  let desired: DesiredState;
  const K = { line: 'k' };
  const OTHER = { line: 'other' };
  const keys = (node: string, labels: Record<string, string>): string[] =>
    desired.jobsFor(node, labels).map((e) => e.key);
  const reply = async (node: string, labels: Record<string, string>, name: string) => {
    const entry = desired.jobsFor(node, labels).find((e) => e.key === `ns/${name}`);
    return entry && desired.desiredJob(entry, node);
  };

  beforeEach(() => {
    cache = new JobCache();
    desired = new DesiredState(cache.list, urls, 0);
    cache.put('a');
  });

  it('adds a job created after the nodes were first served', () => {
    expect(keys('n1', K)).toEqual(['ns/a']);
    expect(keys('n3', OTHER)).toEqual([]);
    cache.put('b');
    cache.put('c', (j) => (j.spec.edge = { nodeSelector: OTHER }));
    expect(keys('n1', K)).toEqual(['ns/a', 'ns/b']);
    expect(keys('n3', OTHER)).toEqual(['ns/c']);
  });

  it('drops a job removed, or being deleted, from every node', () => {
    cache.put('b');
    expect(keys('n1', K)).toEqual(['ns/a', 'ns/b']);
    cache.remove('a');
    expect(keys('n1', K)).toEqual(['ns/b']);
    cache.put('b', (j) => (j.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z'));
    expect(keys('n1', K)).toEqual([]);
  });

  it('follows a changed nodeSelector, sampling and bucket', async () => {
    expect(keys('n1', K)).toEqual(['ns/a']);
    expect(await reply('n1', K, 'a')).toMatchObject({ storage: { bucket: 'bucket-a' } });
    cache.put('a', (j) => {
      j.spec.edge = { nodeSelector: OTHER, sampling: { strategy: 'random', randomRate: 0.5 } };
      j.spec.storage.bucket = 'moved';
    });
    expect(keys('n1', K)).toEqual([]);
    expect(keys('n3', OTHER)).toEqual(['ns/a']);
    expect(await reply('n3', OTHER, 'a')).toMatchObject({
      sampling: { strategy: 'random', randomRate: 0.5 },
      storage: { bucket: 'moved' },
    });
  });

  it('follows status: a new current model, and canary nodes getting the target only', async () => {
    expect((await reply('n1', K, 'a'))!.model).toMatchObject({ version: 'v0', url: 'https://s3/a/v0' });
    cache.put('a', (j) => {
      j.status!.models = [{ version: 'v1', uri: 's3://b/a/v1.zip', sha256: 'b'.repeat(64) }] as never;
      j.status!.rollout = {
        targetVersion: 'v1',
        previousVersion: 'v0',
        phase: 'Canary',
        canaryNodes: ['n2'],
      };
    });
    expect((await reply('n1', K, 'a'))!.model!.version).toBe('v0');
    expect((await reply('n2', K, 'a'))!.model!.version).toBe('v1');
    cache.put('a', (j) => (j.status!.rollout!.phase = 'Promoted'));
    expect((await reply('n1', K, 'a'))!.model!.version).toBe('v1');
  });

  it('recomputes a node’s jobs when its labels change, not when the same labels come again', () => {
    cache.put('c', (j) => (j.spec.edge = { nodeSelector: { line: 'k', zone: 'z1' } }));
    expect(keys('n1', { line: 'k' })).toEqual(['ns/a']);
    expect(keys('n1', { zone: 'z1', line: 'k' })).toEqual(['ns/a', 'ns/c']);
    expect(keys('n1', { line: 'other' })).toEqual([]);
    const again = desired.jobsFor('n1', { line: 'other' });
    expect(desired.jobsFor('n1', { line: 'other' })).toBe(again); // same labels: nothing recomputed
  });

  it('treats a job deleted and created again under the same name as a new job', async () => {
    expect(keys('n1', K)).toEqual(['ns/a']);
    cache.remove('a');
    cache.put('a', (j) => {
      j.metadata!.uid = 'uid-a-2';
      j.spec.edge = { nodeSelector: OTHER };
    });
    expect(keys('n1', K)).toEqual([]);
    expect(keys('n3', OTHER)).toEqual(['ns/a']);
    expect(desired.jobsFor('n3', OTHER)[0].job.metadata!.uid).toBe('uid-a-2');
  });

  it('shares one reply between the nodes that get the same job and version', async () => {
    const first = await reply('n1', K, 'a');
    expect(await reply('n2', K, 'a')).toBe(first);
  });

  it('looks at the job cache at most every syncEveryMs, and sees the change after it', async () => {
    const throttled = new DesiredState(cache.list, urls, 50);
    expect(throttled.jobsFor('n1', K).map((e) => e.key)).toEqual(['ns/a']);
    cache.put('b');
    expect(throttled.jobsFor('n1', K).map((e) => e.key)).toEqual(['ns/a']);
    await new Promise((r) => setTimeout(r, 60));
    expect(throttled.jobsFor('n1', K).map((e) => e.key)).toEqual(['ns/a', 'ns/b']);
  });
});

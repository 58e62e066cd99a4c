/** The read-only job watch the trainer and labeling commands use, against the fake kube-apiserver (real HTTP). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUP } from '../../../lib/api/v1alpha1/index.js';
import { watchJobsReadOnly, type JobWatch } from '../../../lib/kube/job-watch.js';
import { createLogger } from '../../../lib/log.js';
import type { FakeKubeApiServer } from '../../support/fake-kube-apiserver.js';
import {
  credentialsSecret,
  kubeconfigYaml,
  minimalJob,
  startFakeCluster,
} from '../../operator/support/fake-cluster.js';
import { waitFor } from '../../operator/support/wait.js';

describe('watchJobsReadOnly', () => {
  let api: FakeKubeApiServer;
  let dir: string;
  let watch: JobWatch | undefined;

  beforeAll(async () => {
    let url: string;
    ({ api, url } = await startFakeCluster());
    dir = await mkdtemp(join(tmpdir(), 'job-watch-'));
    // The fake serves plain HTTP, which client-node only accepts with TLS verification off.
    const yaml = kubeconfigYaml(url).replace('{server: ', '{insecure-skip-tls-verify: true, server: ');
    await writeFile(join(dir, 'kubeconfig'), yaml);
  });
  afterAll(async () => {
    await watch?.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the jobs of its namespace, follows new ones and reads their Secrets', async () => {
    api.seed('singletasklearningjobs', minimalJob('first', 'team-a'), GROUP);
    api.seed('singletasklearningjobs', minimalJob('elsewhere', 'team-b'), GROUP);
    api.seed('secrets', credentialsSecret('team-a', 's', 'AK', 'SK'));
    watch = await watchJobsReadOnly({
      kubeconfig: join(dir, 'kubeconfig'),
      namespace: 'team-a',
      log: createLogger('job-watch-test'),
    });
    await waitFor('the first list', () => watch!.synced());
    expect(watch.list().map((j) => j.metadata?.name)).toEqual(['first']);

    api.seed('singletasklearningjobs', minimalJob('second', 'team-a'), GROUP);
    const second = await waitFor('the new job', () => watch!.get({ namespace: 'team-a', name: 'second' }));
    expect(second.spec.storage.bucket).toBe('bkt');
    expect(await watch.get({ namespace: 'team-b', name: 'elsewhere' })).toBeNull();

    expect(await watch.getSecret('team-a', 's')).toEqual({ accessKey: 'AK', secretKey: 'SK' });
    expect(await watch.getSecret('team-a', 'missing')).toBeNull();
  });
});

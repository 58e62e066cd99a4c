import type { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { minimalJob, startFakeCluster } from './support/fake-cluster.js';

const BASE = '/apis/edgestl.io/v1alpha1/namespaces/default/singletasklearningjobs';
const job = (name: string) => minimalJob(name);

/** The fake behaves as kube-apiserver where the operator and kubectl depend on it. */
describe('fake kube-apiserver semantics', () => {
  let api: FakeKubeApiServer;
  let url: string;
  beforeAll(async () => {
    ({ api, url } = await startFakeCluster({ bookmarkIntervalMs: 100 }));
  });
  afterAll(async () => {
    await api.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': contentType },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  }

  it('serves discovery for core, groups and our CRD with its short name and status subresource', async () => {
    expect((await call('GET', '/api')).body.versions).toEqual(['v1']);
    const groups = (await call('GET', '/apis')).body.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['edgestl.io', 'coordination.k8s.io', 'events.k8s.io']));
    const list = (await call('GET', '/apis/edgestl.io/v1alpha1')).body.resources;
    expect(list.find((r: { name: string }) => r.name === 'singletasklearningjobs').shortNames).toEqual([
      'stlj',
    ]);
    expect(list.map((r: { name: string }) => r.name)).toContain('singletasklearningjobs/status');
  });

  it('validates against the CRD schema, defaults, honours dryRun and 409s duplicates', async () => {
    const bad = await call('POST', BASE, {
      ...job('bad'),
      spec: { ...job('bad').spec, rollout: { strategy: 'sideways' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes[0].field).toMatch(/rollout.strategy/);
    const dry = await call('POST', `${BASE}?dryRun=All`, job('dry'));
    expect(dry.status).toBe(201);
    expect(dry.body.spec.algorithm.name).toBe('FPN');
    expect((await call('GET', `${BASE}/dry`)).status).toBe(404);
    const made = await call('POST', BASE, job('j1'));
    expect(made.body.metadata).toMatchObject({ generation: 1, namespace: 'default' });
    expect((await call('POST', BASE, job('j1'))).status).toBe(409);
  });

  it('bumps generation on spec changes only; /status ignores spec and the main resource ignores status', async () => {
    const cur = (await call('GET', `${BASE}/j1`)).body;
    const st = await call(
      'PATCH',
      `${BASE}/j1/status`,
      { status: { phase: 'Serving' }, spec: { storage: { bucket: 'other' } } },
      'application/merge-patch+json',
    );
    expect(st.body.status.phase).toBe('Serving');
    expect(st.body.spec.storage.bucket).toBe('bkt');
    expect(st.body.metadata.generation).toBe(1);
    const main = await call(
      'PATCH',
      `${BASE}/j1`,
      { status: { phase: 'Failed' }, metadata: { labels: { a: 'b' } } },
      'application/merge-patch+json',
    );
    expect(main.body.status.phase).toBe('Serving');
    expect(main.body.metadata.generation).toBe(1);
    const spec = await call(
      'PATCH',
      `${BASE}/j1`,
      { spec: { trigger: { minNewSamples: 7 } } },
      'application/merge-patch+json',
    );
    expect(spec.body.metadata.generation).toBe(2);
    // A stale resourceVersion is a conflict, for PUT and for a patch that carries one.
    expect((await call('PUT', `${BASE}/j1`, { ...cur, metadata: { ...cur.metadata } })).status).toBe(409);
    expect(
      (
        await call(
          'PATCH',
          `${BASE}/j1/status`,
          { metadata: { resourceVersion: cur.metadata.resourceVersion }, status: { phase: 'x' } },
          'application/merge-patch+json',
        )
      ).status,
    ).toBe(409);
  });

  it('applies JSON patch with test, and keeps objects with finalizers until they are removed', async () => {
    const cur = (await call('GET', `${BASE}/j1`)).body;
    const stale = await call(
      'PATCH',
      `${BASE}/j1`,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: '1' },
        { op: 'add', path: '/metadata/finalizers', value: ['x/y'] },
      ],
      'application/json-patch+json',
    );
    expect(stale.status).toBe(422);
    const ok = await call(
      'PATCH',
      `${BASE}/j1`,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: cur.metadata.resourceVersion },
        { op: 'add', path: '/metadata/finalizers', value: ['x/y'] },
      ],
      'application/json-patch+json',
    );
    expect(ok.body.metadata.finalizers).toEqual(['x/y']);
    const del = await call('DELETE', `${BASE}/j1`);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    expect((await call('GET', `${BASE}/j1`)).status).toBe(200);
    const again = await call(
      'PATCH',
      `${BASE}/j1`,
      { metadata: { finalizers: ['x/y', 'new/one'] } },
      'application/merge-patch+json',
    );
    expect(again.status).toBe(422); // no new finalizers while deleting
    await call('PATCH', `${BASE}/j1`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await call('GET', `${BASE}/j1`)).status).toBe(404);
    expect((await call('PATCH', `${BASE}/nope`, {}, 'application/strategic-merge-patch+json')).status).toBe(
      404,
    );
  });

  it('streams watch events from a resourceVersion with bookmarks, and 410 for an expired one', async () => {
    const list = (await call('GET', BASE)).body;
    const ctrl = new AbortController();
    const res = await fetch(
      `${url}${BASE}?watch=true&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}`,
      { signal: ctrl.signal },
    );
    const reader = res.body!.getReader();
    await call('POST', BASE, job('w1'));
    await call('DELETE', `${BASE}/w1`);
    const types: string[] = [];
    let buf = '';
    while (!(types.includes('DELETED') && types.includes('BOOKMARK'))) {
      const { value } = await reader.read();
      buf += Buffer.from(value!).toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) types.push(JSON.parse(l).type);
    }
    ctrl.abort();
    expect(types.filter((t) => t !== 'BOOKMARK')).toEqual(['ADDED', 'DELETED']);
    api.seed('secrets', { metadata: { name: 'bump', namespace: 'default' } });
    api.compact();
    const expired = await fetch(`${url}${BASE}?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    const line = JSON.parse((await expired.text()).trim());
    expect(line).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('answers 500 when told to, and records every call in RBAC terms', async () => {
    api.injectFailure({ verb: 'list', resource: 'singletasklearningjobs', status: 500 });
    expect((await call('GET', BASE)).status).toBe(500);
    expect((await call('GET', BASE)).status).toBe(200);
    expect(api.calls).toEqual(
      expect.arrayContaining([
        {
          verb: 'patch',
          group: 'edgestl.io',
          resource: 'singletasklearningjobs',
          subresource: 'status',
          namespace: 'default',
          name: 'j1',
          status: 200,
          at: expect.any(Number),
        },
      ]),
    );
  });
});

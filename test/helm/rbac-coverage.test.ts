import { readApiCallFixture } from './api-call-fixture.js';
import { renderChart, findObject, type K8sObject } from './chart.js';
import {
  allowingGrants,
  callKey,
  grantsFor,
  resourceString,
  ruleAllows,
  type Grant,
  type PolicyRule,
  type RbacCall,
} from './rbac.js';

/**
 * Grants no recorded call uses, each with the reason it is still needed. Anything else unused is a
 * rule broader than the operator needs and fails the test.
 */
const JUSTIFIED_UNUSED: Record<string, string> = {
  // OwnerReferencesPermissionEnforcement: setting blockOwnerDeletion on an owner reference to a job
  // needs update on the job's finalizers subresource; the fake API server does not run that plugin.
  'update singletasklearningjobs/finalizers': 'owner references with blockOwnerDeletion',
};

const calls = readApiCallFixture();
/** The release namespace and Lease name come from the recorded leader election. */
const leaseCalls = calls.filter((c) => c.resource === 'leases');
const releaseNamespace = leaseCalls[0]?.namespace ?? 'edge-stl';
const leaseNames = [...new Set(leaseCalls.map((c) => c.name).filter((n): n is string => Boolean(n)))];
async function renderGrants(component: string): Promise<{ grants: Grant[]; objects: K8sObject[] }> {
  const set = leaseNames[0] ? [`operator.leaderElection.leaseName=${leaseNames[0]}`] : [];
  const objects = await renderChart({ namespace: releaseNamespace, set });
  const sa = findObject(objects, 'ServiceAccount', `-${component}`);
  return { grants: grantsFor(objects, sa.metadata.name, releaseNamespace), objects };
}

const operatorGrants = () => renderGrants('operator');

describe('operator RBAC against the API calls recorded in the operator tests', () => {
  it('has a recorded call list covering jobs, status, leases and events', () => {
    const resources = new Set(calls.map(resourceString));
    for (const r of ['singletasklearningjobs', 'singletasklearningjobs/status', 'leases', 'events'])
      expect(resources).toContain(r);
    // One Lease: the Role can name it.
    expect(leaseNames).toHaveLength(1);
  });

  it('allows every recorded call', async () => {
    const { grants } = await operatorGrants();
    const denied = calls.filter((c) => allowingGrants(grants, c).length === 0).map(callKey);
    expect(denied).toEqual([]);
  });

  it('grants nothing broader than the calls need', async () => {
    const { grants } = await operatorGrants();
    for (const g of grants) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const)
        expect(g.rule[field] ?? []).not.toContain('*');
      expect(g.rule.nonResourceURLs).toBeUndefined();
    }
    // Every (verb, resource) a rule grants is used by some call, or justified above.
    const unused: string[] = [];
    for (const g of grants) {
      for (const verb of g.rule.verbs) {
        for (const resource of g.rule.resources ?? []) {
          const [res, sub] = resource.split('/');
          const narrowed: PolicyRule = { ...g.rule, verbs: [verb], resources: [resource] };
          const used = calls.some(
            (c) =>
              c.resource === res &&
              c.subresource === sub &&
              (g.namespace === undefined || g.namespace === c.namespace) &&
              ruleAllows(narrowed, c),
          );
          if (!used && !JUSTIFIED_UNUSED[`${verb} ${resource}`])
            unused.push(`${g.source}: ${verb} ${resource}`);
        }
      }
    }
    expect(unused).toEqual([]);
  });

  it('restricts Secrets to get (a job names its Secret; nothing lists or follows them), and the Lease to its name except for create', async () => {
    const { grants } = await operatorGrants();
    for (const g of grants.filter((x) => x.rule.resources?.includes('secrets')))
      expect(g.rule.verbs).toEqual(['get']);
    for (const g of grants.filter((x) => x.rule.resources?.includes('leases'))) {
      expect(g.namespace).toBe(releaseNamespace);
      // RBAC cannot restrict create by name: the name is not part of the request URL being authorized.
      if (g.rule.verbs.includes('create')) expect(g.rule.verbs).toEqual(['create']);
      else expect(g.rule.resourceNames).toEqual(leaseNames);
    }
    // Nodes are read one by name, never listed or changed.
    for (const g of grants.filter((x) => x.rule.resources?.includes('nodes')))
      expect(g.rule.verbs).toEqual(['get']);
  });

  it('denies what the operator must not do (the evaluator is not a rubber stamp)', async () => {
    const { grants } = await operatorGrants();
    const forbidden: RbacCall[] = [
      { verb: 'list', group: '', resource: 'secrets', namespace: 'default' },
      { verb: 'watch', group: '', resource: 'secrets' },
      { verb: 'update', group: '', resource: 'secrets', namespace: 'default', name: 's3' },
      { verb: 'patch', group: '', resource: 'nodes', name: 'edge-1' },
      {
        verb: 'delete',
        group: 'edgestl.io',
        resource: 'singletasklearningjobs',
        namespace: 'default',
        name: 'x',
      },
      {
        verb: 'update',
        group: 'coordination.k8s.io',
        resource: 'leases',
        namespace: releaseNamespace,
        name: 'another-lease',
      },
      {
        verb: 'update',
        group: 'coordination.k8s.io',
        resource: 'leases',
        namespace: 'kube-system',
        name: leaseNames[0],
      },
      { verb: 'create', group: '', resource: 'pods', namespace: releaseNamespace },
    ];
    for (const call of forbidden)
      expect({ call: callKey(call), allowed: allowingGrants(grants, call).length > 0 }).toEqual({
        call: callKey(call),
        allowed: false,
      });
  });
});

describe('trainer and labeling RBAC: read jobs and the Secrets they name, nothing else', () => {
  // The calls test/operator/multi-job.test.ts sees each of them make.
  const needed: RbacCall[] = [
    { verb: 'list', group: 'edgestl.io', resource: 'singletasklearningjobs' },
    { verb: 'watch', group: 'edgestl.io', resource: 'singletasklearningjobs' },
    { verb: 'get', group: '', resource: 'secrets', namespace: 'team-a', name: 's3-a' },
  ];
  const forbidden: RbacCall[] = [
    {
      verb: 'patch',
      group: 'edgestl.io',
      resource: 'singletasklearningjobs',
      namespace: 'team-a',
      name: 'pcb',
    },
    {
      verb: 'patch',
      group: 'edgestl.io',
      resource: 'singletasklearningjobs',
      subresource: 'status',
      namespace: 'team-a',
      name: 'pcb',
    },
    { verb: 'create', group: '', resource: 'events', namespace: 'team-a' },
    { verb: 'list', group: '', resource: 'secrets', namespace: 'team-a' },
    { verb: 'watch', group: '', resource: 'secrets' },
    { verb: 'get', group: '', resource: 'nodes', name: 'edge-1' },
    { verb: 'get', group: 'coordination.k8s.io', resource: 'leases', namespace: releaseNamespace, name: 'x' },
  ];

  it.each(['trainer', 'labeling'])('%s', async (component) => {
    const { grants } = await renderGrants(component);
    expect(needed.filter((c) => allowingGrants(grants, c).length === 0).map(callKey)).toEqual([]);
    expect(forbidden.filter((c) => allowingGrants(grants, c).length > 0).map(callKey)).toEqual([]);
    expect(grants.map((g) => g.rule)).toEqual([
      { apiGroups: ['edgestl.io'], resources: ['singletasklearningjobs'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
  });

  it('gives the edge agents no API access at all', async () => {
    expect((await renderGrants('edge-agent')).grants).toEqual([]);
  });
});

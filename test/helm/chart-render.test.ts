import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CHART_DIR,
  CI_VALUES_DIR,
  findObject,
  helm,
  renderChart,
  resourceList,
  validateObject,
  type K8sObject,
} from './chart.js';

const VALUE_SETS = readdirSync(CI_VALUES_DIR)
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();

/** Every container (init containers included) of a workload. */
function containersOf(o: K8sObject): K8sObject[] {
  const spec = o.spec?.template?.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

const WORKLOADS = new Set(['Deployment', 'DaemonSet']);

describe('helm chart', () => {
  it('passes helm lint --strict with the defaults and every value set', async () => {
    for (const file of [undefined, ...VALUE_SETS]) {
      const args = ['lint', '--strict', CHART_DIR, ...(file ? ['--values', join(CI_VALUES_DIR, file)] : [])];
      const result = await helm(args);
      expect({ file, code: result.code, out: result.stdout + result.stderr }).toMatchObject({ code: 0 });
      expect(result.stdout).toContain('0 chart(s) failed');
    }
  });

  it('ships the GPU, canary, existing-secrets and hostPath value sets', () => {
    for (const name of ['gpu-trainer', 'canary', 'existing-secrets', 'hostpath']) {
      expect(VALUE_SETS).toContain(`${name}-values.yaml`);
    }
  });

  it.each([
    ['defaults', undefined as string | undefined],
    ...VALUE_SETS.map((f) => [f, f] as [string, string]),
  ])('renders %s into objects that validate against the Kubernetes schemas', async (_label, file) => {
    const objects = await renderChart({ valuesFiles: file ? [join(CI_VALUES_DIR, file)] : [] });
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) await validateObject(o);
    // Unique kind/name pairs: two templates never fight over one object.
    const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('renders the resource list of the default install', async () => {
    const objects = await renderChart();
    expect(resourceList(objects).sort()).toEqual(
      [
        'ClusterRole/edge-stl-job-readers',
        'ClusterRole/edge-stl-operator-jobs',
        'ClusterRole/edge-stl-operator-nodes',
        'ClusterRoleBinding/edge-stl-job-readers',
        'ClusterRoleBinding/edge-stl-operator-jobs',
        'ClusterRoleBinding/edge-stl-operator-nodes',
        'CustomResourceDefinition/singletasklearningjobs.edgestl.io',
        'DaemonSet/edge-stl-edge-agent',
        'Deployment/edge-stl-labeling',
        'Deployment/edge-stl-operator',
        'Deployment/edge-stl-trainer',
        'Role/edge-stl-operator-leader-election',
        'RoleBinding/edge-stl-operator-leader-election',
        'Secret/edge-stl-edge-ca',
        'Secret/edge-stl-operator-tls',
        'Secret/edge-stl-redis',
        'Secret/edge-stl-s3',
        'Secret/edge-stl-tokens',
        'Service/edge-stl-labeling',
        'Service/edge-stl-operator',
        'Service/edge-stl-trainer',
        'ServiceAccount/edge-stl-edge-agent',
        'ServiceAccount/edge-stl-labeling',
        'ServiceAccount/edge-stl-operator',
        'ServiceAccount/edge-stl-trainer',
      ].sort(),
    );
  });

  it('locks every container down: non-root, read-only root, no capabilities, seccomp RuntimeDefault', async () => {
    for (const file of [undefined, ...VALUE_SETS]) {
      const objects = await renderChart({ valuesFiles: file ? [join(CI_VALUES_DIR, file)] : [] });
      for (const w of objects.filter((o) => WORKLOADS.has(o.kind))) {
        const pod = w.spec.template.spec;
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        for (const c of pod.containers) {
          expect({ w: w.metadata.name, c: c.name, sc: c.securityContext }).toMatchObject({
            sc: {
              runAsNonRoot: true,
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
            },
          });
          expect(c.resources?.limits?.memory).toBeDefined();
        }
        // Edge agents never talk to the Kubernetes API; the cloud components read jobs through it.
        expect({ w: w.metadata.name, automount: pod.automountServiceAccountToken !== false }).toEqual({
          w: w.metadata.name,
          automount: !w.metadata.name.includes('-edge-agent'),
        });
      }
    }
  });

  it('runs each component as `edge-stl <subcommand>` from the one image', async () => {
    const objects = await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'canary-values.yaml')] });
    const expected: Record<string, string> = {
      operator: 'operator',
      trainer: 'trainer',
      labeling: 'labeling',
      'edge-agent': 'edge-agent',
    };
    for (const [suffix, sub] of Object.entries(expected)) {
      const w = objects.find((o) => WORKLOADS.has(o.kind) && o.metadata.name.endsWith(`-${suffix}`));
      expect(w).toBeDefined();
      const c = w!.spec.template.spec.containers[0];
      expect(c.image).toBe('ghcr.io/edge-stl/edge-stl:0.1.0');
      expect(c.command).toBeUndefined();
      expect(c.args[0]).toBe(sub);
    }
  });

  it('gives the operator and the trainers the one training queue setting', async () => {
    const queueOf = (objects: K8sObject[], suffix: string) =>
      objects
        .find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith(suffix))!
        .spec.template.spec.containers[0].args.filter((a: string) => a.startsWith('--queue='));
    const defaults = await renderChart({});
    expect(queueOf(defaults, '-operator')).toEqual(['--queue=edge-stl-training']);
    expect(queueOf(defaults, '-trainer')).toEqual(['--queue=edge-stl-training']);
    const custom = await renderChart({ set: ['redis.trainingQueue=team-a'] });
    expect(queueOf(custom, '-operator')).toEqual(['--queue=team-a']);
    expect(queueOf(custom, '-trainer')).toEqual(['--queue=team-a']);
  });

  describe('edge agent DaemonSet', () => {
    it('selects edge nodes, survives disconnection and knows its node name', async () => {
      const ds = findObject(await renderChart(), 'DaemonSet', '-edge-agent');
      const pod = ds.spec.template.spec;
      expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/edge': '' });
      expect(pod.tolerations).toEqual(
        expect.arrayContaining([
          { key: 'node-role.kubernetes.io/edge', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        ]),
      );
      for (const t of pod.tolerations) expect(t.tolerationSeconds).toBeUndefined();
      const env = pod.containers[0].env as K8sObject[];
      expect(env.find((e) => e.name === 'NODE_NAME')).toEqual({
        name: 'NODE_NAME',
        valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
      });
      expect(pod.volumes.find((v: K8sObject) => v.name === 'data')).toMatchObject({
        emptyDir: { sizeLimit: '2Gi' },
      });
      expect(pod.initContainers).toBeUndefined();
      // Readiness is process health: /readyz (no model yet) would stall rollouts on nodes no job selects.
      expect(pod.containers[0].readinessProbe.httpGet.path).toBe('/healthz');
    });

    it('keeps the outbox and model cache on the node with storage.type hostPath', async () => {
      const ds = findObject(
        await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'hostpath-values.yaml')] }),
        'DaemonSet',
        '-edge-agent',
      );
      const pod = ds.spec.template.spec;
      expect(pod.volumes.find((v: K8sObject) => v.name === 'data')).toEqual({
        name: 'data',
        hostPath: { path: '/var/lib/edge-stl', type: 'DirectoryOrCreate' },
      });
      expect(pod.containers[0].volumeMounts).toEqual(
        expect.arrayContaining([{ name: 'data', mountPath: '/var/lib/edge-stl' }]),
      );
      // The init container only chowns the directory, with CHOWN as its one capability.
      const init = pod.initContainers[0];
      expect(init.command).toEqual(['chown', '10001:10001', '/var/lib/edge-stl']);
      expect(init.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN'] });
      expect(pod.hostNetwork).toBeUndefined();
      expect(pod.containers[0].ports[0].hostPort).toBe(8080);
      expect(pod.containers[0].args).toEqual(
        expect.arrayContaining(['--operator-url=https://203.0.113.10:30080']),
      );
      // No S3 endpoint or keys on the edge: the operator signs URLs for the edge endpoint instead.
      expect(pod.containers[0].env.find((e: K8sObject) => e.name.startsWith('S3_'))).toBeUndefined();
    });
  });

  it('runs a canary of the agent image on labelled nodes, and keeps the main DaemonSet off them', async () => {
    const objects = await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'canary-values.yaml')] });
    const main = findObject(objects, 'DaemonSet', '-edge-agent');
    const canary = findObject(objects, 'DaemonSet', '-edge-agent-canary');
    expect(main.spec.template.spec.containers[0].image).toBe('ghcr.io/edge-stl/edge-stl:0.1.0');
    expect(canary.spec.template.spec.containers[0].image).toBe('ghcr.io/edge-stl/edge-stl:0.2.0-rc.1');
    expect(canary.spec.template.spec.nodeSelector).toEqual({
      'node-role.kubernetes.io/edge': '',
      'edgestl.io/agent-canary': 'true',
    });
    expect(
      main.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms,
    ).toEqual([{ matchExpressions: [{ key: 'edgestl.io/agent-canary', operator: 'DoesNotExist' }] }]);
    // Disjoint selectors: neither DaemonSet adopts the other's pods.
    expect(main.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('edge-agent');
    expect(canary.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('edge-agent-canary');
    // Same configuration otherwise.
    expect(canary.spec.template.spec.containers[0].args).toEqual(main.spec.template.spec.containers[0].args);
    expect(canary.spec.template.spec.tolerations).toEqual(main.spec.template.spec.tolerations);
    const noTag = await helm(['template', 'x', CHART_DIR, '--set', 'edgeAgent.canary.enabled=true']);
    expect(noTag.code).not.toBe(0);
    expect(noTag.stderr).toContain('edgeAgent.canary.tag is required');
  });

  it('renders the GPU trainer variant: CUDA image, tensorflow backend, GPU limit, GPU node placement', async () => {
    const objects = await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'gpu-trainer-values.yaml')] });
    const pod = findObject(objects, 'Deployment', '-trainer').spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('ghcr.io/edge-stl/edge-stl-gpu:0.1.0');
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'EDGE_STL_BACKEND', value: 'tensorflow' }]));
    expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(c.resources.limits.memory).toBe('16Gi');
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.runtimeClassName).toBe('nvidia');
    // The CPU default stays on wasm without a GPU limit.
    const cpu = findObject(await renderChart(), 'Deployment', '-trainer').spec.template.spec.containers[0];
    expect(cpu.env).toEqual(expect.arrayContaining([{ name: 'EDGE_STL_BACKEND', value: 'wasm' }]));
    expect(cpu.resources.limits['nvidia.com/gpu']).toBeUndefined();
  });

  it('creates no Secret and references the existing ones with existingSecret values', async () => {
    const objects = await renderChart({
      valuesFiles: [join(CI_VALUES_DIR, 'existing-secrets-values.yaml')],
      set: [
        // The serving certificate from cert-manager, so that the chart generates no Secret at all.
        'operator.tls.certManager.enabled=true',
        'operator.tls.certManager.issuerRef.name=acme-ca',
        'operator.tls.certManager.caSecretName=acme-edge-ca',
      ],
    });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const refs = new Set<string>();
    for (const w of objects.filter((o) => WORKLOADS.has(o.kind))) {
      for (const c of containersOf(w)) {
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef)
            refs.add(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
      }
    }
    expect([...refs].sort()).toEqual(
      [
        'acme-edge-stl-tokens/AGENT_KEY',
        'acme-edge-stl-tokens/LABELING_TOKEN',
        'acme-redis/url',
        'acme-s3/AWS_ACCESS_KEY_ID',
        'acme-s3/AWS_SECRET_ACCESS_KEY',
      ].sort(),
    );
    // The jobs' own Secrets are read by the name each job gives: get, never list or watch.
    for (const suffix of ['-operator-jobs', '-job-readers']) {
      const role = findObject(objects, 'ClusterRole', suffix);
      expect(role.rules.filter((r: K8sObject) => r.resources.includes('secrets'))).toEqual([
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      ]);
    }
  });

  it('narrows the job rules to Roles with operator.watchNamespace, and the per-node token Secret by name', async () => {
    const objects = await renderChart({
      set: ['operator.watchNamespace=factory', 'tokens.perNodeSecret=edge-node-tokens'],
    });
    expect(
      objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('-jobs')),
    ).toBeUndefined();
    const role = findObject(objects, 'Role', '-operator-jobs');
    expect(role.metadata.namespace).toBe('factory');
    const binding = findObject(objects, 'RoleBinding', '-operator-jobs');
    expect(binding.metadata.namespace).toBe('factory');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'edge-stl-operator', namespace: 'edge-stl' },
    ]);
    expect(role.rules.filter((r: K8sObject) => r.resources.includes('secrets'))).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    // The trainer and labeling read jobs and Secrets in the watched namespace only.
    const readers = findObject(objects, 'Role', '-job-readers');
    expect(readers.metadata.namespace).toBe('factory');
    expect(findObject(objects, 'RoleBinding', '-job-readers').subjects.map((s: K8sObject) => s.name)).toEqual(
      ['edge-stl-trainer', 'edge-stl-labeling'],
    );
    // The per-node tokens live in the release namespace: that one Secret, by name.
    const tokens = findObject(objects, 'Role', '-operator-node-tokens');
    expect(tokens.metadata.namespace).toBe('edge-stl');
    expect(tokens.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['edge-node-tokens'], verbs: ['get'] },
    ]);
    // The components are told the namespace, so they list only what the Role allows.
    for (const suffix of ['-trainer', '-labeling'])
      expect(findObject(objects, 'Deployment', suffix).spec.template.spec.containers[0].args).toContain(
        '--namespace=factory',
      );
    // Nodes stay cluster-scoped and read-only.
    expect(findObject(objects, 'ClusterRole', '-operator-nodes').rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
    ]);
  });

  it('never puts a secret value anywhere but a Secret', async () => {
    const objects = await renderChart({
      set: [
        'objectStore.accessKey=AKIA-TEST-ACCESS',
        'objectStore.secretKey=s3cr3t-value',
        'tokens.agentKey=agent-tok-123',
      ],
    });
    const s3 = findObject(objects, 'Secret', '-s3');
    expect(Buffer.from(s3.data.accessKey, 'base64').toString()).toBe('AKIA-TEST-ACCESS');
    const outside = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
    for (const secret of ['AKIA-TEST-ACCESS', 's3cr3t-value', 'agent-tok-123']) {
      expect(outside).not.toContain(secret);
      expect(outside).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });

  it('generates tokens and S3 credentials when none are given', async () => {
    const tokens = findObject(await renderChart(), 'Secret', '-tokens');
    expect(Buffer.from(tokens.data.AGENT_KEY, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(tokens.data.INFERENCE_TOKEN).toBeUndefined();
  });

  it('runs two operators only behind leader election, and routes the coordination Service to ready (leading) pods', async () => {
    const objects = await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'canary-values.yaml')] });
    const op = findObject(objects, 'Deployment', '-operator');
    expect(op.spec.replicas).toBe(2);
    expect(op.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--leader-elect', '--lease-name=edge-stl-operator']),
    );
    expect(op.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/readyz');
    // A standby is never Ready, so a surge rollout would wait for it forever.
    expect(op.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' },
    });
    const svc = findObject(objects, 'Service', '-operator');
    expect(svc.spec.selector).toEqual(op.spec.selector.matchLabels);
    const bad = await helm([
      'template',
      'x',
      CHART_DIR,
      '--set',
      'operator.replicas=2',
      '--set',
      'operator.leaderElection.enabled=false',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('operator.replicas: 2 needs operator.leaderElection.enabled');
  });

  it('exposes labeling through an optional Ingress, and ServiceMonitor/NetworkPolicy when enabled', async () => {
    const objects = await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'canary-values.yaml')] });
    const ing = findObject(objects, 'Ingress', '-labeling');
    expect(ing.spec.rules[0].host).toBe('labeling.edge.example.com');
    expect(ing.spec.tls).toEqual([{ hosts: ['labeling.edge.example.com'], secretName: 'labeling-tls' }]);
    expect(findObject(objects, 'ServiceMonitor', 'edge-stl').metadata.labels?.release).toBe(
      'kube-prometheus-stack',
    );
    const np = findObject(objects, 'NetworkPolicy', '-labeling');
    expect(np.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'ingress-nginx',
    });
    const none = await renderChart();
    expect(none.filter((o) => ['Ingress', 'ServiceMonitor', 'NetworkPolicy'].includes(o.kind))).toEqual([]);
  });
});

describe('labeling service and trainer', () => {
  it('learn every job from the cluster: no per-job values, the same args for any number of jobs', async () => {
    const objects = await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'canary-values.yaml')] });
    const c = findObject(objects, 'Deployment', '-labeling').spec.template.spec.containers[0];
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--bucket=edge-stl',
        '--from-cluster',
        '--ground-truth=s3://edge-stl/datasets/pcb-aoi/test_data/index.txt',
      ]),
    );
    expect(c.args.filter((a: string) => /^--(auto-)?job=/.test(a))).toEqual([]);
    expect(c.env.map((e: K8sObject) => e.name)).toEqual(
      expect.arrayContaining(['LABELING_TOKEN', 'REDIS_URL', 'S3_ACCESS_KEY']),
    );
    // Rendered by default too: it waits for jobs instead of needing them listed.
    expect(findObject(await renderChart(), 'Deployment', '-labeling')).toBeDefined();
    const trainer = findObject(objects, 'Deployment', '-trainer').spec.template.spec.containers[0];
    expect(trainer.args).toEqual(expect.arrayContaining(['--credentials-from-jobs']));
    // Operator and trainers take the queue from one value.
    const operator = findObject(objects, 'Deployment', '-operator').spec.template.spec.containers[0];
    const queueOf = (args: string[]) => args.filter((a) => a.startsWith('--queue='));
    expect(queueOf(trainer.args)).toEqual(['--queue=edge-stl-training']);
    expect(queueOf(operator.args)).toEqual(queueOf(trainer.args));
  });

  it('has no per-job values left in the chart', async () => {
    const values = await readFile(join(CHART_DIR, 'values.yaml'), 'utf8');
    const schema = await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8');
    for (const text of [values, schema]) expect(text).not.toMatch(/secretNames|"jobs"|^\s+jobs:/m);
    await expect(renderChart({ set: ['rbac.secretNames={x}'] })).rejects.toThrow(/secretNames/);
    await expect(renderChart({ set: ['labeling.jobs[0].name=x'] })).rejects.toThrow(/jobs/);
  });
});

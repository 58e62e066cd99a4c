import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CI_VALUES_DIR, findObject, renderChart, type K8sObject } from './chart.js';

const VALUE_SETS = readdirSync(CI_VALUES_DIR).filter((f) => f.endsWith('-values.yaml'));

/** Names of the Secrets a pod spec can read: env references and volumes (projected ones included). */
function secretsOf(pod: K8sObject): string[] {
  const names = new Set<string>();
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) names.add(e.valueFrom.secretKeyRef.name);
    for (const f of c.envFrom ?? []) if (f.secretRef) names.add(f.secretRef.name);
  }
  for (const v of pod.volumes ?? []) {
    if (v.secret) names.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret) names.add(s.secret.name);
  }
  return [...names];
}

/** What a pod can read of each Secret: `name/KEY` for one key, `name/*` for all of it. */
function secretKeysOf(pod: K8sObject): string[] {
  const keys = new Set<string>();
  const whole = (name: string, items?: Array<{ key: string }>) => {
    if (items?.length) for (const i of items) keys.add(`${name}/${i.key}`);
    else keys.add(`${name}/*`);
  };
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) keys.add(`${ref.name}/${ref.key}`);
    }
    for (const f of c.envFrom ?? []) if (f.secretRef) whole(f.secretRef.name);
  }
  for (const v of pod.volumes ?? []) {
    if (v.secret) whole(v.secret.secretName, v.secret.items);
    for (const src of v.projected?.sources ?? []) if (src.secret) whole(src.secret.name, src.secret.items);
  }
  return [...keys];
}

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString();

/** The edge is trusted with only what is its own: what the chart gives edge agents. */
describe('helm chart: what edge nodes hold', () => {
  it.each(['defaults', ...VALUE_SETS])(
    'mounts no S3 Secret, no shared token and no cloud Secret on the DaemonSet (%s)',
    async (valuesFile) => {
      const objects = await renderChart(
        valuesFile === 'defaults' ? {} : { valuesFiles: [join(CI_VALUES_DIR, valuesFile)] },
      );
      for (const ds of objects.filter((o) => o.kind === 'DaemonSet')) {
        const pod = ds.spec.template.spec;
        const secrets = secretsOf(pod);
        for (const name of secrets) expect(name).toMatch(/-(edge-ca|edge-api)$/);
        const env = pod.containers[0].env as K8sObject[];
        for (const e of env) expect(e.name).not.toMatch(/^(S3_|AWS_|EDGE_STL_NODE_TOKEN$|EDGE_STL_AGENT)/);
        // Its own token, from a file on its own node.
        expect(pod.containers[0].args).toContain('--token-file=/etc/edge-stl/node-token');
        expect(pod.volumes.find((v: K8sObject) => v.name === 'node-token')).toEqual({
          name: 'node-token',
          hostPath: { path: '/etc/edge-stl/node-token', type: 'File' },
        });
      }
    },
  );

  it('holds no shared token by default: the operator mints per-node tokens from a key only it reads', async () => {
    const objects = await renderChart();
    const tokens = findObject(objects, 'Secret', '-tokens');
    expect(Object.keys(tokens.data).sort()).toEqual(['AGENT_KEY', 'LABELING_TOKEN']);
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
    const readersOf = (key: string) =>
      workloads
        .filter((o) => {
          const keys = secretKeysOf(o.spec.template.spec);
          return (
            keys.includes(`${tokens.metadata.name}/${key}`) || keys.includes(`${tokens.metadata.name}/*`)
          );
        })
        .map((o) => o.metadata.name);
    // The agent key mints every node's token: the operator alone reads it (labeling reads only its own token).
    expect(readersOf('AGENT_KEY')).toEqual(['edge-stl-operator']);
    expect(readersOf('LABELING_TOKEN')).toEqual(['edge-stl-labeling']);
    const op = findObject(objects, 'Deployment', '-operator').spec.template.spec.containers[0];
    expect(op.env.find((e: K8sObject) => e.name === 'EDGE_STL_AGENT_KEY').valueFrom.secretKeyRef).toEqual({
      name: 'edge-stl-tokens',
      key: 'AGENT_KEY',
    });
  });

  it('serves the coordination API over HTTPS by default, with a generated CA agents verify', async () => {
    const objects = await renderChart();
    const op = findObject(objects, 'Deployment', '-operator').spec.template.spec;
    expect(op.containers[0].args).toEqual(
      expect.arrayContaining(['--tls-cert=/etc/edge-stl/tls/tls.crt', '--tls-key=/etc/edge-stl/tls/tls.key']),
    );
    expect(op.containers[0].readinessProbe.httpGet.scheme).toBe('HTTPS');
    expect(op.volumes.find((v: K8sObject) => v.name === 'tls').secret.secretName).toBe(
      'edge-stl-operator-tls',
    );

    const served = new X509Certificate(
      decode(findObject(objects, 'Secret', '-operator-tls').data['tls.crt']),
    );
    const caSecret = findObject(objects, 'Secret', '-edge-ca');
    expect(Object.keys(caSecret.data)).toEqual(['ca.crt']); // no key on the edge
    const ca = new X509Certificate(decode(caSecret.data['ca.crt']));
    expect(ca.ca).toBe(true);
    expect(served.verify(ca.publicKey)).toBe(true);
    expect(served.checkHost('edge-stl-operator.edge-stl.svc')).toBe('edge-stl-operator.edge-stl.svc');

    const agent = findObject(objects, 'DaemonSet', '-edge-agent').spec.template.spec;
    expect(agent.containers[0].args).toEqual(
      expect.arrayContaining([
        '--operator-url=https://edge-stl-operator.edge-stl.svc:8080',
        '--ca-file=/etc/edge-stl/ca/ca.crt',
      ]),
    );
    expect(agent.volumes.find((v: K8sObject) => v.name === 'operator-ca').secret).toEqual({
      secretName: 'edge-stl-edge-ca',
      items: [{ key: 'ca.crt', path: 'ca.crt' }],
    });
  });

  it('names the edge-facing address in the certificate (hostPath values: NodePort on an IP)', async () => {
    const objects = await renderChart({ valuesFiles: [join(CI_VALUES_DIR, 'hostpath-values.yaml')] });
    const served = new X509Certificate(
      decode(findObject(objects, 'Secret', '-operator-tls').data['tls.crt']),
    );
    expect(served.checkIP('203.0.113.10')).toBe('203.0.113.10');
  });

  it('takes the certificate from cert-manager when asked, and the agents’ CA from a key-less Secret', async () => {
    const objects = await renderChart({
      set: [
        'operator.tls.certManager.enabled=true',
        'operator.tls.certManager.issuerRef.kind=ClusterIssuer',
        'operator.tls.certManager.issuerRef.name=factory-ca',
        'operator.tls.certManager.caSecretName=factory-ca-bundle',
      ],
    });
    const cert = objects.find((o) => o.kind === 'Certificate')!;
    expect(cert.apiVersion).toBe('cert-manager.io/v1');
    expect(cert.spec).toMatchObject({
      secretName: 'edge-stl-operator-tls',
      issuerRef: { kind: 'ClusterIssuer', name: 'factory-ca' },
    });
    expect(
      objects.find((o) => o.kind === 'Secret' && /-(operator-tls|edge-ca)$/.test(o.metadata.name)),
    ).toBeUndefined();
    const agent = findObject(objects, 'DaemonSet', '-edge-agent').spec.template.spec;
    expect(secretsOf(agent)).toEqual(['factory-ca-bundle']);
  });

  it('can run without TLS (plain HTTP) only when asked', async () => {
    const objects = await renderChart({ set: ['operator.tls.enabled=false'] });
    const agent = findObject(objects, 'DaemonSet', '-edge-agent').spec.template.spec;
    expect(agent.containers[0].args).toContain('--operator-url=http://edge-stl-operator.edge-stl.svc:8080');
    expect(agent.containers[0].args.some((a: string) => a.startsWith('--ca-file'))).toBe(false);
  });
});

import { KubeConfig } from '@kubernetes/client-node';
import {
  API_VERSION,
  KIND,
  applySchemaDefaults,
  crdPath,
  jobSchema,
} from '../../../lib/api/v1alpha1/index.js';
import { validateAgainstSchema } from '../../../lib/validation/index.js';
import {
  FakeKubeApiServer,
  type FakeKubeApiServerOptions,
  type KObj,
} from '../../support/fake-kube-apiserver.js';

/** The fake apiserver serving our CRD, validating and defaulting jobs with the CRD schema as kube-apiserver does. */
export async function startFakeCluster(
  options: FakeKubeApiServerOptions = {},
): Promise<{ api: FakeKubeApiServer; kubeConfig: KubeConfig; url: string }> {
  const schema = jobSchema();
  const api = new FakeKubeApiServer({
    crds: [crdPath()],
    // kube-apiserver checks the structural schema only; semantic checks are the operator's (InvalidSpec).
    validators: { singletasklearningjobs: (obj) => validateAgainstSchema(obj, schema) },
    defaulters: { singletasklearningjobs: (obj) => applySchemaDefaults(schema, obj) as KObj },
    bookmarkIntervalMs: 500,
    ...options,
  });
  const url = await api.start();
  return { api, kubeConfig: kubeConfigFor(url), url };
}

/**
 * A KubeConfig for the fake (token auth; the fake does not check the token but records it with
 * each call, so a test can tell two clients apart).
 */
export function kubeConfigFor(url: string, token = 'fake-token'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
    users: [{ name: 'operator', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'operator', namespace: 'default' }],
    currentContext: 'fake',
  });
  return kc;
}

/** kubeconfig YAML for the real kubectl. */
export function kubeconfigYaml(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: fake, cluster: {server: "${url}"}}]`,
    'users: [{name: user, user: {token: fake-token}}]',
    'contexts: [{name: fake, context: {cluster: fake, user: user, namespace: default}}]',
    'current-context: fake',
    '',
  ].join('\n');
}

/** A Secret with S3 credentials in the shape `spec.storage.credentialsSecret` names. */
export function credentialsSecret(
  namespace: string,
  name: string,
  accessKey: string,
  secretKey: string,
): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: {
      accessKey: Buffer.from(accessKey).toString('base64'),
      secretKey: Buffer.from(secretKey).toString('base64'),
    },
  };
}

/** The smallest job the CRD schema accepts (namespace left to the request path when absent). */
export function minimalJob(name: string, namespace?: string): KObj {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: {
      dataset: { trainIndex: 's3://bkt/t/index.txt', testIndex: 's3://bkt/s/index.txt', classes: ['a'] },
      storage: { bucket: 'bkt', credentialsSecret: 's' },
    },
  };
}

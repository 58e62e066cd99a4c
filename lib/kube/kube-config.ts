import { KubeConfig } from '@kubernetes/client-node';

/** In a pod the in-cluster config; elsewhere `kubeconfigPath`, else `KUBECONFIG` or ~/.kube/config. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

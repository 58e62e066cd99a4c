import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { CHART_DIR, REPO_ROOT, findObject, helm, renderChart, templateArgs } from './chart.js';

const SOURCE = join(REPO_ROOT, 'crds', 'singletasklearningjob.yaml');
const COPY = join(CHART_DIR, 'files', 'crds', 'singletasklearningjob.yaml');

describe('the chart renders the CRD from its one source', () => {
  it('holds a byte-identical copy of crds/singletasklearningjob.yaml (run `npm run chart:sync` after a CRD edit)', () => {
    expect(readFileSync(COPY, 'utf8')).toBe(readFileSync(SOURCE, 'utf8'));
    // The script's own check agrees.
    execFileSync(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'sync-chart-crd.ts'), '--check'],
      { cwd: REPO_ROOT },
    );
  });

  it('renders exactly the source spec, adding only chart labels and the keep policy', async () => {
    const source = yaml.load(readFileSync(SOURCE, 'utf8')) as {
      metadata: { name: string; labels: Record<string, string> };
      spec: unknown;
    };
    const crd = findObject(await renderChart(), 'CustomResourceDefinition', source.metadata.name);
    expect(crd.spec).toEqual(source.spec);
    expect(crd.metadata.name).toBe(source.metadata.name);
    expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(crd.metadata.labels).toMatchObject({
      ...source.metadata.labels,
      'app.kubernetes.io/managed-by': 'Helm',
    });
  });

  it('drops the keep policy with crds.keep=false and the CRD with crds.install=false', async () => {
    const unkept = await renderChart({ set: ['crds.keep=false'] });
    expect(unkept.find((o) => o.kind === 'CustomResourceDefinition')!.metadata.annotations).toBeUndefined();
    const none = await renderChart({ set: ['crds.install=false'] });
    expect(none.find((o) => o.kind === 'CustomResourceDefinition')).toBeUndefined();
    // RBAC still names the CRD's group and plural, read from the same file.
    const rules = findObject(none, 'ClusterRole', '-operator-jobs').rules as {
      apiGroups: string[];
      resources: string[];
    }[];
    expect(rules[0]).toMatchObject({ apiGroups: ['edgestl.io'], resources: ['singletasklearningjobs'] });
  });

  it('packages the CRD copy: `helm package` then `helm template` of the .tgz renders it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edge-stl-package-'));
    try {
      const pkg = await helm(['package', CHART_DIR, '--destination', out]);
      expect(pkg.code).toBe(0);
      const tgz = join(out, 'edge-stl-0.1.0.tgz');
      const rendered = await helm(['template', 'edge-stl', tgz, '--namespace', 'edge-stl']);
      expect(rendered.code).toBe(0);
      expect(rendered.stdout).toContain('name: singletasklearningjobs.edgestl.io');
      // The test value sets stay out of the package (.helmignore).
      const listing = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' });
      expect(listing).toContain('edge-stl/files/crds/singletasklearningjob.yaml');
      expect(listing).not.toContain('edge-stl/ci/');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('keeps no second CRD copy in the chart (no crds/ directory Helm would install unmanaged)', async () => {
    const result = await helm(['show', 'crds', CHART_DIR]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('');
    expect((await helm(templateArgs())).code).toBe(0);
  });
});

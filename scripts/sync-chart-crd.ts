/**
 * Copies the one CRD source (crds/singletasklearningjob.yaml) into the Helm chart, which can package
 * only files inside its own directory. `--check` exits 1 when the chart's copy has drifted, so CI and
 * test/helm/crd-sync.test.ts catch a CRD edit without a sync.
 *
 *   node --import tsx scripts/sync-chart-crd.ts [--check]
 */
import { copyFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The CRD source and its copy inside the chart. */
export const CRD_SOURCE = join(ROOT, 'crds', 'singletasklearningjob.yaml');
export const CRD_CHART_COPY = join(ROOT, 'helm', 'edge-stl', 'files', 'crds', 'singletasklearningjob.yaml');

/** True when the chart's copy is byte-identical to the source. */
export function chartCrdInSync(): boolean {
  return existsSync(CRD_CHART_COPY) && readFileSync(CRD_CHART_COPY).equals(readFileSync(CRD_SOURCE));
}

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    if (chartCrdInSync()) return 0;
    console.error(
      `${relative(ROOT, CRD_CHART_COPY)} differs from ${relative(ROOT, CRD_SOURCE)}: run \`npm run chart:sync\``,
    );
    return 1;
  }
  mkdirSync(dirname(CRD_CHART_COPY), { recursive: true });
  copyFileSync(CRD_SOURCE, CRD_CHART_COPY);
  console.log(`copied ${relative(ROOT, CRD_SOURCE)} -> ${relative(ROOT, CRD_CHART_COPY)}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));

import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { CHART_DIR, CI_VALUES_DIR, helm } from './chart.js';

/**
 * `helm template` skips NOTES.txt, and a broken NOTES.txt fails only at `helm install`. This renders
 * it through `tpl` in a scratch copy of the chart, with the chart's own helpers.
 */
async function renderNotes(args: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-stl-notes-'));
  const chart = join(dir, 'edge-stl');
  cpSync(CHART_DIR, chart, { recursive: true });
  renameSync(join(chart, 'templates', 'NOTES.txt'), join(chart, 'notes-source.txt'));
  writeFileSync(
    join(chart, 'templates', 'notes-probe.yaml'),
    'notes: |\n{{ tpl (.Files.Get "notes-source.txt") . | indent 2 }}\n',
  );
  try {
    const result = await helm([
      'template',
      'edge-stl',
      chart,
      '-n',
      'edge-stl',
      '--show-only',
      'templates/notes-probe.yaml',
      ...args,
    ]);
    if (result.code !== 0) throw new Error(result.stderr);
    return (yaml.load(result.stdout) as { notes: string }).notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('NOTES.txt', () => {
  it('renders for the defaults: components, generated credentials, the edge reachability hint', async () => {
    const notes = await renderNotes();
    expect(notes).toContain(
      'operator    edge-stl-operator (1 replica(s), leader election on Lease edge-stl-operator)',
    );
    expect(notes).toContain('The S3 credentials were GENERATED');
    expect(notes).toContain('https://edge-stl-operator.edge-stl.svc:8080');
    expect(notes).toContain('edge nodes resolve it only with EdgeMesh');
    expect(notes).toContain('labeling    edge-stl-labeling (every job, classes and mode from the job)');
    expect(notes).not.toContain('labeling.jobs');
  });

  it.each([
    'canary-values.yaml',
    'existing-secrets-values.yaml',
    'gpu-trainer-values.yaml',
    'hostpath-values.yaml',
    'minimal-values.yaml',
  ])('renders for %s', async (file) => {
    const notes = await renderNotes(['--values', join(CI_VALUES_DIR, file)]);
    expect(notes).toContain('edge-stl 0.1.0 is installed in namespace edge-stl.');
    expect(notes).not.toContain('<no value>');
  });

  it('points at the labeling Ingress and the edge-reachable operator URL when configured', async () => {
    const canary = await renderNotes(['--values', join(CI_VALUES_DIR, 'canary-values.yaml')]);
    expect(canary).toContain('open https://labeling.edge.example.com/');
    const hostpath = await renderNotes(['--values', join(CI_VALUES_DIR, 'hostpath-values.yaml')]);
    expect(hostpath).toContain('https://203.0.113.10:30080');
    expect(hostpath).not.toContain('EdgeMesh');
  });
});

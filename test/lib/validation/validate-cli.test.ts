import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `edge-stl <args>` from the sources, as a user would, and returns its exit code and output. */
function cli(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const script =
    "const { main } = await import('./cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
    cwd: repo,
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('edge-stl validate', () => {
  it('accepts every example and exits 0', () => {
    const files = readdirSync(repo + 'crds/examples')
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `crds/examples/${f}`);
    const r = cli(['validate', ...files]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(files.map((f) => `${f}: valid`));
  });

  it('prints FILE: path: message for every error and exits 1', () => {
    const r = cli([
      'validate',
      'crds/examples/minimal.yaml',
      'test/fixtures/invalid/out-of-range-threshold.yaml',
      'test/fixtures/invalid/multi-document.yaml',
      'test/fixtures/invalid/missing.yaml',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'crds/examples/minimal.yaml: valid',
      'test/fixtures/invalid/out-of-range-threshold.yaml: spec.edge.sampling.thresholdBox: must be >= 0 (got -0.1)',
      'test/fixtures/invalid/out-of-range-threshold.yaml: spec.edge.sampling.thresholdImg: must be <= 1 (got 1.5)',
      'test/fixtures/invalid/multi-document.yaml#2 (second): spec.rollout.strategy: must be one of "all", "canary" (got "blue-green")',
      'test/fixtures/invalid/missing.yaml: cannot read the file (ENOENT)',
    ]);
  });

  it('reads stdin with "-" and prints JSON with --json', () => {
    const r = cli(
      ['validate', '--json', '-'],
      'apiVersion: edgestl.io/v1alpha1\nkind: SingleTaskLearningJob\nmetadata: {name: x}\nspec: {}\n',
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      file: '-',
      valid: false,
      documents: [
        {
          document: 1,
          name: 'x',
          errors: [
            { path: 'spec.dataset', message: 'is required' },
            { path: 'spec.storage', message: 'is required' },
          ],
        },
      ],
    });
  });

  it('--json prints only JSON, one object per file, also for a file it cannot read', () => {
    const r = cli(['validate', '--json', 'crds/examples/minimal.yaml', 'test/fixtures/invalid/missing.yaml']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const [ok, missing] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ok).toMatchObject({ file: 'crds/examples/minimal.yaml', valid: true });
    expect(missing).toEqual({
      file: 'test/fixtures/invalid/missing.yaml',
      valid: false,
      error: 'cannot read the file (ENOENT)',
      documents: [],
    });
  });

  it('exits 2 with usage when no file is given, 0 for --help', () => {
    const none = cli(['validate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('expects at least one FILE.yaml');
    const help = cli(['validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: edge-stl validate FILE.yaml...');
  });
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CI_VALUES_DIR, REPO_ROOT, renderChart, type K8sObject } from './chart.js';
import { reachableSources, sourceText } from './sources.js';

const run = promisify(execFile);

/** Runs the real CLI dispatcher from the TypeScript sources, as `edge-stl <argv>`. */
async function edgeStl(argv: string[]): Promise<{ code: number; out: string }> {
  const script = `const { main } = await import(${JSON.stringify(join(REPO_ROOT, 'cli', 'main.ts'))}); process.exitCode = await main(process.argv.slice(1));`;
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...argv],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
        timeout: 60_000,
      },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** Environment the pod gives the process that is not the component's own configuration. */
const PLATFORM_ENV = new Set(['LOG_LEVEL', 'POD_NAME', 'POD_NAMESPACE', 'S3_REGION', 'S3_BUCKET']);

const COMPONENTS: { sub: string; suffix: string; kind: string }[] = [
  { sub: 'operator', suffix: '-operator', kind: 'Deployment' },
  { sub: 'trainer', suffix: '-trainer', kind: 'Deployment' },
  { sub: 'labeling', suffix: '-labeling', kind: 'Deployment' },
  { sub: 'edge-agent', suffix: '-edge-agent', kind: 'DaemonSet' },
];

describe('the chart speaks the CLI of each component', () => {
  let renders: K8sObject[][];

  beforeAll(async () => {
    // Value sets that switch on every optional flag between them.
    renders = await Promise.all(
      ['canary-values.yaml', 'hostpath-values.yaml', 'gpu-trainer-values.yaml'].map((f) =>
        renderChart({ valuesFiles: [join(CI_VALUES_DIR, f)] }),
      ),
    );
  });

  it.each(COMPONENTS)('$sub accepts every flag the chart passes', async ({ sub, suffix, kind }) => {
    expect(existsSync(join(REPO_ROOT, 'cli', 'commands', `${sub}.ts`))).toBe(true);
    // Distinct argument lists only: the CLI modules take seconds to load (TF.js).
    const argLists = new Map<string, string[]>();
    for (const objects of renders) {
      const w = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
      if (w)
        argLists.set(
          JSON.stringify(w.spec.template.spec.containers[0].args),
          w.spec.template.spec.containers[0].args,
        );
    }
    expect(argLists.size).toBeGreaterThan(0);
    for (const args of argLists.values()) {
      expect(args[0]).toBe(sub);
      // Unknown flags are usage errors (exit 2) before --help is honoured; known ones print the usage.
      const result = await edgeStl([...args, '--help']);
      expect({ args, code: result.code, out: result.code === 0 ? '' : result.out }).toEqual({
        args,
        code: 0,
        out: '',
      });
      expect(result.out).toMatch(/Usage: edge-stl/);
    }
  });

  it.each(COMPONENTS)('$sub reads every environment variable the chart sets', ({ sub, suffix, kind }) => {
    const text = sourceText(reachableSources(`cli/commands/${sub}.ts`));
    for (const objects of renders) {
      const w = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
      if (!w) continue;
      const names = (w.spec.template.spec.containers[0].env as { name: string }[])
        .map((e) => e.name)
        .filter((n) => !PLATFORM_ENV.has(n));
      const unread = names.filter((n) => !new RegExp(`\\b${n}\\b`).test(text));
      expect({ sub, unread }).toEqual({ sub, unread: [] });
    }
  });
});

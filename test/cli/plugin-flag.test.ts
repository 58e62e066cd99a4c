// `--plugin MODULE` reaches the ClassFactory before a command opens a model: a model whose manifest
// names a plugin's alias loads with the flag (or EDGE_STL_PLUGIN) and fails clearly without it.
// Runs the built CLI (dist/), as a user would.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ECHO_ALIAS as ALIAS, writeEchoPlugin } from '../edge-agent/support/echo-plugin.js';
import { testModelZip } from '../edge-agent/support/test-models.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repo, 'bin', 'edge-stl.js'), ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? null : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('edge-stl predict --plugin', () => {
  let dir: string;
  let predictArgs: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-stl-plugin-flag-'));
    await writeEchoPlugin(dir);
    const model = await testModelZip(dir, ALIAS, { score: 0.75 });
    predictArgs = ['predict', '--model', model, '--out', 'p.json', '--backend', 'cpu', 'a.jpg'];
  });

  it('loads a model whose manifest names the plugin alias', async () => {
    const r = await cli([...predictArgs, '--plugin', './echo-plugin.mjs'], dir);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(JSON.parse(await readFile(join(dir, 'p.json'), 'utf8'))).toEqual({
      'a.jpg': [{ name: 'thing', bbox: [[1, 2, 3, 4, 0.75]] }],
    });
  }, 60_000);

  it('takes the plugin from EDGE_STL_PLUGIN too', async () => {
    const r = await cli(predictArgs, dir, { EDGE_STL_PLUGIN: './echo-plugin.mjs' });
    expect(r.code).toBe(0);
  }, 60_000);

  it('fails clearly without it, naming the alias', async () => {
    const r = await cli(predictArgs, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`edge-stl predict: ClassFactory: no general class "${ALIAS}"`);
  }, 60_000);
});

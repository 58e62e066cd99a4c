// `edge-stl edge-agent --plugin MODULE`: the plugin is registered before the agent installs a
// model, so a model whose manifest names the plugin's alias serves; without it the agent is not
// ready and says which alias it lacks.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './support/agent-harness.js';
import { ECHO_ALIAS, writeEchoPlugin } from './support/echo-plugin.js';
import { spawnAgent, type SpawnedAgent } from './support/spawn-agent.js';
import { testModelZip } from './support/test-models.js';

describe('edge-stl edge-agent --plugin', () => {
  let dir: string;
  let plugin: string;
  let model: string;
  const agents: SpawnedAgent[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-agent-plugin-'));
    plugin = await writeEchoPlugin(dir);
    model = await testModelZip(dir, ECHO_ALIAS);
  });
  afterAll(async () => {
    for (const a of agents) {
      a.child.kill('SIGTERM');
      await a.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  const start = (node: string, extra: string[]): SpawnedAgent => {
    const args = ['--node', node, '--host', '127.0.0.1', '--port', '0', '--data-dir', join(dir, node)];
    const agent = spawnAgent([...args, '--model', model, '--sampling', 'none', ...extra], {});
    agent.url.catch(() => undefined);
    agents.push(agent);
    return agent;
  };

  it('installs and serves a model whose manifest names the plugin alias', async () => {
    const url = await start('with-plugin', ['--plugin', plugin]).url;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(await ready.json())).toContain('default/local');
  }, 90_000);

  it('without the plugin, is not ready and names the missing alias', async () => {
    const agent = start('without-plugin', []);
    const missing = `no general class \\"${ECHO_ALIAS}\\"`;
    await waitFor(() => agent.stderr().includes(missing), 60_000, 'the install failure logged');
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(agent.stderr())![1];
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain(missing);
  }, 90_000);
});

/** `edge-stl edge-agent` as its own process (signals, crashes and exits are real). */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './agent-harness.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface SpawnedAgent {
  child: ChildProcess;
  /** Resolves once the agent listens and `/readyz` answers 200. */
  url: Promise<string>;
  exited: Promise<number | null>;
  /** Everything the agent logged so far. */
  stderr(): string;
}

/** Spawns the agent with `args` and `env` on top of the test's environment. */
export function spawnAgent(args: string[], env: NodeJS.ProcessEnv): SpawnedAgent {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/edge-agent/support/agent-process.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => (buffered += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = new Promise<string>((resolve, reject) => {
    const onData = (): void => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"Edge agent listening"/.exec(buffered);
      if (m) resolve(m[1]);
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`agent exited early (${code}): ${buffered.slice(-2000)}`)));
  }).then(async (u) => {
    await waitFor(async () => (await fetch(`${u}/readyz`)).status === 200, 60_000, 'agent ready');
    return u;
  });
  return { child, url, exited, stderr: () => buffered };
}

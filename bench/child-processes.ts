/**
 * Child processes of a bench that end whatever happens to it: its own exit, a signal, an uncaught
 * error, or a deadline. Children also get a stdin pipe; they exit when it closes (see
 * {@link exitWhenParentGoes}), which covers a bench killed with SIGKILL too.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

const children = new Set<ChildProcess>();
let installed = false;

function killAll(signal: NodeJS.Signals): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => killAll('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => {
      console.error(`bench: ${signal}; stopping its child processes`);
      killAll('SIGTERM');
      process.exit(1);
    });
  const fail = (err: unknown): void => {
    console.error('bench failed:', err);
    killAll('SIGTERM');
    process.exit(1);
  };
  process.once('uncaughtException', fail);
  process.once('unhandledRejection', fail);
}

/** A bench script (under bench/) run with tsx; stdout is a pipe of lines, stderr is inherited. */
export interface BenchChild {
  process: ChildProcess;
  lines: Interface;
  /** The next stdout line; rejects when the child exits first or after `timeoutMs`. */
  nextLine(timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnBenchChild(script: string, env: Record<string, string>): BenchChild {
  installHandlers();
  const stdio: StdioOptions = ['pipe', 'pipe', 'inherit'];
  // BENCH_CHILD_NODE_ARGS: extra node flags for the children, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(import.meta.dirname, script)], {
    env: { ...process.env, ...env },
    stdio,
  });
  children.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  const lines = createInterface(child.stdout!);
  const pending: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => {
    const next = waiting[0];
    if (next) next(line);
    else pending.push(line);
  });
  return {
    process: child,
    lines,
    nextLine: (timeoutMs) => {
      if (pending.length) return Promise.resolve(pending.shift()!);
      return new Promise<string>((resolve, reject) => {
        const give = (line: string): void => {
          settle();
          resolve(line);
        };
        const onExit = (code: number | null): void => {
          settle();
          reject(new Error(`${script} exited (${code}) before its next line`));
        };
        const timer = setTimeout(() => {
          settle();
          reject(new Error(`${script}: no output in ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const settle = (): void => {
          clearTimeout(timer);
          child.off('exit', onExit);
          const i = waiting.indexOf(give);
          if (i >= 0) waiting.splice(i, 1);
        };
        child.once('exit', onExit);
        waiting.push(give);
      });
    },
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** In a child: exit when the bench that started it goes away (its stdin closes). */
export function exitWhenParentGoes(stdin: NodeJS.ReadStream, onGone: () => Promise<void> | void): void {
  stdin.on('end', () => void Promise.resolve(onGone()).finally(() => process.exit(0)));
  stdin.resume();
}

/** `work`, or a rejection after `ms` naming what took too long. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

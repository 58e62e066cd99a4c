/**
 * Crash atomicity, tested by crashing: a child process writes through writeFileAtomic or the
 * outbox and is SIGKILLed just before its k-th file operation (crash-points.ts numbers them: open,
 * each 4 KiB chunk, sync, close, rename). After each crash a restart must find every record whole
 * or absent, keep what was reported committed, and upload each recovered sample exactly once,
 * counted by the upload calls made (keys are content hashes, so objects present prove nothing).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTempFile } from '../../lib/fs/atomic-write.js';
import { AgentMetrics } from '../../edge-agent/metrics.js';
import { Outbox } from '../../edge-agent/outbox.js';
import type { SampleRecord } from '../../lib/protocol/index.js';
import { Uploader } from '../../edge-agent/uploader.js';
import { createLogger } from '../../lib/log.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { testStore } from '../support/env.js';
import { waitFor } from './support/agent-harness.js';
import { SAMPLES, VERSIONS, sampleOf, versionText } from './support/crash-samples.js';
import { StoreSampleTarget } from '../../edge-agent/sample-target.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SUPPORT = join(ROOT, 'test/edge-agent/support');

interface Run {
  signal: NodeJS.Signals | null;
  code: number | null;
  lines: string[];
  stderr: string;
}

/** Runs the writer in `mode` on `target`, killed before file operation `killAt` (0: never). */
function runWriter(
  mode: 'atomic' | 'outbox',
  target: string,
  crashDir: string,
  killAt: number,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        join(SUPPORT, 'crash-points.ts'),
        join(SUPPORT, 'crash-writer-process.ts'),
        mode,
        target,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, CRASH_DIR: crashDir, CRASH_AT_STEP: String(killAt), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, lines: out.split('\n').filter(Boolean), stderr }),
    );
  });
}

/** A clean run: it must succeed, and it tells how many file operations there are to kill before. */
async function countSteps(mode: 'atomic' | 'outbox', target: string, crashDir: string): Promise<number> {
  const run = await runWriter(mode, target, crashDir, 0);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const steps = Number(/^steps (\d+)$/.exec(run.lines.at(-1) ?? '')?.[1]);
  expect(steps).toBeGreaterThan(10);
  return steps;
}

/**
 * Kill points spread over the whole run, with a random offset so repeated runs hit other
 * operations (each failure message names its kill point).
 */
function killPoints(steps: number, count: number): number[] {
  const offset = Math.random();
  return Array.from({ length: count }, (_, i) => 1 + Math.floor(((i + offset) * steps) / count));
}

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'edge-stl-crash-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('crash atomicity', () => {
  it('writeFileAtomic: a SIGKILL at any file operation leaves the old or the new file whole, never half', async () => {
    const dir = join(base, 'atomic');
    const file = join(dir, 'state.json');
    const reset = async () => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await writeFile(file, versionText(0));
    };
    await reset();
    const steps = await countSteps('atomic', file, dir);
    expect(await readFile(file, 'utf8')).toBe(versionText(VERSIONS));

    const bad: string[] = [];
    for (const killAt of killPoints(steps, 14)) {
      await reset();
      const run = await runWriter('atomic', file, dir, killAt);
      expect({ killAt, signal: run.signal }).toEqual({ killAt, signal: 'SIGKILL' });
      const reported = run.lines.filter((l) => l.startsWith('wrote ')).map((l) => Number(l.slice(6)));
      const content = await readFile(file, 'utf8');
      const version = Array.from({ length: VERSIONS + 1 }, (_, v) => v).find(
        (v) => versionText(v) === content,
      );
      const lastReported = reported.at(-1) ?? 0;
      if (version === undefined)
        bad.push(`kill at ${killAt}/${steps}: half a file (${content.length} bytes)`);
      else if (version < lastReported)
        bad.push(
          `kill at ${killAt}/${steps}: version ${version} after version ${lastReported} was reported written`,
        );
      const strays = (await readdir(dir)).filter((n) => n !== 'state.json' && !isTempFile(n));
      if (strays.length) bad.push(`kill at ${killAt}/${steps}: stray files ${strays.join(', ')}`);
    }
    expect(bad).toEqual([]);
  });

  it('outbox: after a SIGKILL while adding samples, a restart finds each whole or absent and uploads each exactly once', async () => {
    const dir = join(base, 'outbox');
    const store = testStore();
    const steps = await countSteps('outbox', dir, dir);
    const expected = new Map(
      Array.from({ length: SAMPLES }, (_, i) => sampleOf(i)).map((s) => [s.record.id, s]),
    );
    const bad: string[] = [];
    for (const killAt of killPoints(steps, 10)) {
      await rm(dir, { recursive: true, force: true });
      const run = await runWriter('outbox', dir, dir, killAt);
      expect({ killAt, signal: run.signal }).toEqual({ killAt, signal: 'SIGKILL' });
      const committed = run.lines.filter((l) => l.startsWith('committed ')).map((l) => l.slice(10));
      const where = `kill at ${killAt}/${steps}`;

      const outbox = await Outbox.open(dir, { maxBytes: 1 << 30 });
      const present: string[] = [];
      for (const name of (await readdir(dir)).sort()) {
        if (!name.endsWith('.json')) continue;
        const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as SampleRecord;
        const want = expected.get(record.id);
        const image = await readFile(join(dir, name.replace(/\.json$/, '.jpeg'))).catch(() => undefined);
        if (!want) bad.push(`${where}: unknown record ${record.id}`);
        else if (JSON.stringify(record) !== JSON.stringify(want.record))
          bad.push(`${where}: record ${record.id} differs`);
        else if (!image?.equals(want.jpeg)) bad.push(`${where}: image of ${record.id} is not whole`);
        present.push(record.id);
      }
      const files = await readdir(dir);
      if (files.length !== 2 * present.length)
        bad.push(`${where}: files left besides whole samples: ${files.join(', ')}`);
      for (const id of committed) if (!present.includes(id)) bad.push(`${where}: committed ${id} was lost`);
      if (outbox.size !== present.length)
        bad.push(`${where}: outbox holds ${outbox.size}, disk ${present.length}`);

      const calls = await drain(outbox, store);
      const perKey = new Map<string, number>();
      for (const key of calls) perKey.set(key, (perKey.get(key) ?? 0) + 1);
      const uploaded = [...perKey.keys()]
        .filter((k) => k.endsWith('.json'))
        .map((k) => k.split('/').at(-1)!.slice(0, -5));
      if (uploaded.sort().join() !== [...present].sort().join())
        bad.push(`${where}: uploaded ${uploaded.length} samples, ${present.length} recovered`);
      for (const [key, n] of perKey) if (n !== 1) bad.push(`${where}: ${key} uploaded ${n} times`);
    }
    expect(bad).toEqual([]);
  });
});

/** Uploads what the outbox holds through the real Uploader; returns every putFile key, in call order. */
async function drain(outbox: Outbox, store: ObjectStore): Promise<string[]> {
  const calls: string[] = [];
  const counting: ObjectStore = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'putFile')
        return (bucket: string, key: string, ...rest: [string]) => {
          calls.push(key);
          return target.putFile(bucket, key, ...rest);
        };
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const uploader = new Uploader({
    outbox,
    target: new StoreSampleTarget(counting, () => undefined),
    metrics: new AgentMetrics('crash-node', { defaultMetrics: false }),
    log: createLogger('crash-test', { level: 'warn' }),
    concurrency: 2,
    maxBackoffMs: 400,
  });
  uploader.start();
  try {
    await waitFor(() => outbox.size === 0, 30_000, 'outbox drained');
  } finally {
    await uploader.stop();
  }
  return calls;
}

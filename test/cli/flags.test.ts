// Every command answers misuse the same way: `edge-stl <cmd>: <what>`, a blank line, the command's
// usage, all on stderr, nothing on stdout, exit 2. Runs the built CLI (bin/ loads dist/, which
// `npm ci` builds) in a clean environment, so no S3_*, token or Redis setting hides a flag error.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import pLimit from 'p-limit';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'edge-stl-flags-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repo, 'bin', 'edge-stl.js'), ...args],
      { cwd: scratch, env: { PATH: process.env.PATH ?? '', HOME: scratch, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? null : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const COMMANDS = [
  'up',
  'ianvs',
  'dataset',
  'validate',
  'train',
  'predict',
  'eval',
  'trainer',
  'labeling',
  'operator',
  'edge-agent',
] as const;

/** The leading arguments that reach each command's flag parser (dataset parses per subcommand). */
const LEAD: Record<(typeof COMMANDS)[number], string[]> = {
  up: [],
  ianvs: [],
  dataset: ['synth'],
  validate: [],
  train: [],
  predict: [],
  eval: [],
  trainer: [],
  labeling: [],
  operator: [],
  'edge-agent': [],
};

/** A bad value per command, with everything else valid: a number where the command takes one. */
const BAD_VALUE: Record<(typeof COMMANDS)[number], [string[], string]> = {
  up: [['--agents', 'many'], '--agents expects an integer in [1, 16], got "many"'],
  ianvs: [
    ['job.yaml', '--backend', 'gpu'],
    '--backend expects one of auto, tensorflow, wasm, cpu, got "gpu"',
  ],
  dataset: [['synth', '--out', 'd', '--count', '12x'], '--count expects an integer >= 1, got "12x"'],
  validate: [['--json=yes', 'job.yaml'], "Option '--json' does not take an argument"],
  train: [
    ['--train-index', 'i.txt', '--out', 'm.zip', '--backend', 'gpu'],
    '--backend expects one of auto, tensorflow, wasm, cpu, got "gpu"',
  ],
  predict: [
    ['--model', 'm.zip', '--out', 'p.json', '--index', 'i.txt', '--backend', 'gpu'],
    '--backend expects one of auto, tensorflow, wasm, cpu, got "gpu"',
  ],
  eval: [
    ['--model', 'm.zip', '--test-index', 'i.txt', '--backend', 'gpu'],
    '--backend expects one of auto, tensorflow, wasm, cpu, got "gpu"',
  ],
  trainer: [['--checkpoint-every', '1.5'], '--checkpoint-every expects an integer >= 1, got "1.5"'],
  labeling: [
    ['--bucket', 'b', '--job', 'demo/pcb:defect', '--port', 'eighty'],
    '--port expects an integer in [0, 65535], got "eighty"',
  ],
  operator: [['--port', '80x'], '--port expects an integer in [0, 65535], got "80x"'],
  'edge-agent': [['--port', ''], '--port expects an integer in [0, 65535], got ""'],
};

function expectUsageError(r: Run, command: string, what: string): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  expect(r.stderr.startsWith(`edge-stl ${command}: ${what}\n\nUsage: edge-stl ${command}`)).toBe(true);
  // No stack trace, no raw TypeError, no log line mixed into the message.
  expect(r.stderr).not.toMatch(/TypeError|^\s+at |"level":/m);
}

describe('edge-stl: every command answers misuse the same way', () => {
  // Both cases of every command run up front, three at a time: each start loads the command's
  // modules (TF.js for most), which is most of this file's time.
  const unknownFlag = new Map<string, Promise<Run>>();
  const badValue = new Map<string, Promise<Run>>();
  beforeAll(async () => {
    const limit = pLimit(3);
    for (const command of COMMANDS) {
      unknownFlag.set(
        command,
        limit(() => cli([command, ...LEAD[command], '--no-such-flag'])),
      );
      badValue.set(
        command,
        limit(() => cli([command, ...BAD_VALUE[command][0]])),
      );
    }
    await Promise.all([...unknownFlag.values(), ...badValue.values()]);
  });

  it.each(COMMANDS)('%s: an unknown flag exits 2 with the usage', async (command) => {
    expectUsageError(await unknownFlag.get(command)!, command, "Unknown option '--no-such-flag'");
  });

  it.each(COMMANDS)('%s: a bad flag value exits 2 with the usage', async (command) => {
    expectUsageError(await badValue.get(command)!, command, BAD_VALUE[command][1]);
  });
});

/** The commands that load or train a model: each takes `--plugin MODULE` (repeatable). */
const PLUGIN_COMMANDS = ['up', 'train', 'predict', 'eval', 'trainer', 'labeling', 'edge-agent'] as const;

/** A bad value in a command's `EDGE_STL_<FLAG>` variable, with no flag given. */
const BAD_ENV: [string, string[], Record<string, string>, string][] = [
  ['operator', [], { EDGE_STL_PORT: '80x' }, 'EDGE_STL_PORT expects an integer in [0, 65535], got "80x"'],
  [
    'trainer',
    [],
    { EDGE_STL_OPS_PORT: '-1' },
    'EDGE_STL_OPS_PORT expects an integer in [0, 65535], got "-1"',
  ],
  ['up', [], { EDGE_STL_AGENTS: '17' }, 'EDGE_STL_AGENTS expects an integer in [1, 16], got "17"'],
  [
    'eval',
    ['--model', 'm.zip', '--test-index', 'i.txt'],
    { EDGE_STL_BACKEND: 'gpu' },
    'EDGE_STL_BACKEND expects one of auto, tensorflow, wasm, cpu, got "gpu"',
  ],
  [
    'edge-agent',
    [],
    { EDGE_STL_SAMPLING: 'most' },
    'EDGE_STL_SAMPLING expects ibt, all, random or none, got "most"',
  ],
];

describe('edge-stl: settings from the environment and --plugin', () => {
  // Started together, three at a time, as above.
  const runs = new Map<string, Promise<Run>>();
  beforeAll(async () => {
    const limit = pLimit(3);
    for (const [command, args, env] of BAD_ENV)
      runs.set(
        `env ${command}`,
        limit(() => cli([command, ...args], env)),
      );
    for (const command of PLUGIN_COMMANDS) {
      runs.set(
        `plugin ${command}`,
        limit(() => cli([command, '--plugin'])),
      );
      runs.set(
        `help ${command}`,
        limit(() => cli([command, '--help'])),
      );
    }
    await Promise.all(runs.values());
  });

  it.each(BAD_ENV)(
    '%s: a bad EDGE_STL_* value exits 2 naming the variable',
    async (command, _args, _env, what) => {
      expectUsageError(await runs.get(`env ${command}`)!, command, what);
    },
  );

  it.each(PLUGIN_COMMANDS)('%s: takes --plugin MODULE and lists it in --help', async (command) => {
    expectUsageError(
      await runs.get(`plugin ${command}`)!,
      command,
      "Option '--plugin <value>' argument missing",
    );
    const help = await runs.get(`help ${command}`)!;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}--plugin <module> \.\.\. +EDGE_STL_PLUGIN /m);
  });
});

describe('edge-stl: the command itself and the global flags', () => {
  it('an unknown command or none exits 2 with the command list on stderr', async () => {
    for (const args of [['nope'], []]) {
      const r = await cli(args);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
      expect(r.stderr).toContain('Usage: edge-stl [--log-format json|pretty] <command>');
    }
  });

  it('a command that takes no flag value still answers --help on stdout with exit 0', async () => {
    const r = await cli(['validate', '--help']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout.startsWith('Usage: edge-stl validate')).toBe(true);
  });

  it('a flag without its value is misuse too', async () => {
    expectUsageError(
      await cli(['validate', '--json=', 'job.yaml']),
      'validate',
      "Option '--json' does not take an argument",
    );
    expectUsageError(
      await cli(['dataset', 'synth', '--out']),
      'dataset',
      "Option '--out <value>' argument missing",
    );
  });

  it('--log-format takes json or pretty only', async () => {
    const r = await cli(['--log-format', 'xml', 'validate', 'job.yaml']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toContain('edge-stl: --log-format expects one of json, pretty, got "xml"');
  });
});

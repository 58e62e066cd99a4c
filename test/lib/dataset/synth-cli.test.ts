import { jest } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../cli/commands/dataset.js';
import { UsageError } from '../../../lib/errors/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-synth-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `edge-stl dataset ...`; returns the exit code and what went to stdout. */
async function cli(...argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return { code: await run(argv), out };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

async function bytesOf(split: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const sub of ['JPEGImages', 'Annotations']) {
    for (const name of await readdir(join(split, sub)))
      files[`${sub}/${name}`] = (await readFile(join(split, sub, name))).toString('base64');
  }
  files['index.txt'] = await readFile(join(split, 'index.txt'), 'utf8');
  return files;
}

describe('edge-stl dataset synth', () => {
  it('writes a split that dataset check passes; the same seed gives the same bytes', async () => {
    const a = join(dir, 'a');
    const { code, out } = await cli(
      'synth',
      '--out',
      a,
      '--count',
      '4',
      '--seed',
      '3',
      '--split',
      'test_data',
    );
    expect(code).toBe(0);
    const summary = JSON.parse(out.at(-1)!);
    expect(summary).toMatchObject({ index: join(a, 'index.txt'), images: 4 });
    expect(summary.boxes).toBeGreaterThan(0);

    const checked = await cli('check', a);
    expect(checked.code).toBe(0);
    expect(checked.out[0]).toBe(`${join(a, 'index.txt')}: 4 images, 4 annotated, ${summary.boxes} boxes`);

    const b = join(dir, 'b');
    expect((await cli('synth', '--out', b, '--count', '4', '--seed', '3', '--split', 'test_data')).code).toBe(
      0,
    );
    expect(await bytesOf(b)).toEqual(await bytesOf(a));
    const line2 = join(dir, 'line2');
    expect(
      (
        await cli(
          'synth',
          '--out',
          line2,
          '--count',
          '4',
          '--seed',
          '3',
          '--split',
          'test_data',
          '--line',
          '2',
        )
      ).code,
    ).toBe(0);
    expect((await cli('check', line2)).code).toBe(0);
    expect(await bytesOf(line2)).not.toEqual(await bytesOf(a));
  });

  it('misuse is a UsageError naming the flag', async () => {
    await expect(run(['synth'])).rejects.toThrow(/--out DIR/);
    await expect(run(['synth', '--out', dir, '--line', '3'])).rejects.toThrow(
      /--line expects an integer in \[1, 2\], got "3"/,
    );
    await expect(run(['synth', '--out', dir, '--count', '0'])).rejects.toThrow(
      /--count expects an integer >= 1, got "0"/,
    );
    await expect(run(['synth', '--out', dir, '--split', '../x'])).rejects.toThrow(UsageError);
    await expect(run(['nope'])).rejects.toThrow(/valid: pull, check, synth/);
  });
});

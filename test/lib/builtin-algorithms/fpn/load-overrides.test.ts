import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as trainRun } from '../../../../cli/commands/train.js';
import { ARCHITECTURE_KEYS, resolveConfig, type FpnConfig } from '../../../../lib/builtin-algorithms/fpn/config.js';
import { FpnModel } from '../../../../lib/builtin-algorithms/fpn/index.js';
import {
  writeSyntheticDataset,
  type SyntheticDataset,
} from '../../../../lib/builtin-algorithms/fpn/synthetic-dataset.js';
import { loadDataset } from '../../../../lib/dataset/index.js';
import { UsageError } from '../../../../lib/errors/index.js';
import { readManifest } from '../../../../lib/model-package/index.js';
import { initBackend } from '../../../../lib/tf/index.js';

let dir: string;
let synth: SyntheticDataset;
const base = () => join(dir, 'base.zip');

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-fpn-overrides-'));
  synth = await writeSyntheticDataset(join(dir, 'data'), { images: 2, seed: 11 });
  const model = new FpnModel({ preset: 'tiny', max_iteration: 2, backend: 'wasm' });
  try {
    await model.train(await loadDataset(synth.indexPath), undefined, { workDir: join(dir, 'work') });
    await model.save(base());
  } finally {
    await model.dispose();
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A valid value different from `v` for every kind of config value. */
function changed(key: string, v: unknown): unknown {
  if (typeof v === 'boolean') return !v;
  if (Array.isArray(v)) return key === 'lr_steps' ? v.map((x: number) => x / 2) : v.map((x: number) => x * 2);
  if (typeof v === 'number') return Number.isInteger(v) ? v + 32 : v / 2;
  throw new Error(`no changed value for ${key}=${JSON.stringify(v)}`);
}

describe('hyperparameters given with a loaded model', () => {
  it('every given key wins over what the model stored', async () => {
    const stored = resolveConfig({ preset: 'tiny', max_iteration: 2 });
    const keys = (Object.keys(stored) as Array<keyof FpnConfig>).filter(
      (k) => k !== 'preset' && !(ARCHITECTURE_KEYS as readonly string[]).includes(k),
    );
    const given = Object.fromEntries(keys.map((k) => [k, changed(k, stored[k])]));
    const model = new FpnModel({ ...given, backend: 'wasm' });
    try {
      await model.load(base());
      for (const k of keys) expect([k, model.config[k]]).toEqual([k, given[k]]);
    } finally {
      await model.dispose();
    }
  });

  it('the same preset is accepted; another preset or architecture is a UsageError naming it', async () => {
    const same = new FpnModel({ preset: 'tiny', backend: 'wasm' });
    await same.load(base());
    expect(same.config.preset).toBe('tiny');
    await same.dispose();
    for (const [hp, named] of [
      [{ preset: 'quick' }, /preset quick .*preset tiny/],
      [{ fpn_channels: 64 }, /fpn_channels=64 does not fit the loaded model, built with fpn_channels=16/],
      [{ backbone: 'mobilenetv2' }, /backbone="mobilenetv2"/],
    ] as const) {
      const model = new FpnModel({ ...hp, backend: 'wasm' });
      await expect(model.load(base())).rejects.toThrow(UsageError);
      await expect(model.load(base())).rejects.toThrow(named);
      await model.dispose();
    }
  });

  it('edge-stl train --init M.zip --hp time_budget_minutes=8 trains with 8 and stores 8', async () => {
    const out = join(dir, 'tuned.zip');
    const logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await trainRun([
        '--train-index',
        synth.indexPath,
        '--init',
        base(),
        '--out',
        out,
        '--hp',
        'time_budget_minutes=8',
        '--hp',
        'max_iteration=1',
        '--backend',
        'wasm',
      ]);
      expect(code).toBe(0);
    } finally {
      logSpy.mockRestore();
      errSpy.mockRestore();
    }
    expect((await readManifest(out)).hyperparameters).toMatchObject({ time_budget_minutes: 8 });
    // The tuned model's own config (what training ran with) says 8, where the base model said 0.
    const tuned = new FpnModel({ backend: 'wasm' });
    try {
      await tuned.load(out);
      expect(tuned.config.time_budget_minutes).toBe(8);
      expect(tuned.config.max_iteration).toBe(1);
    } finally {
      await tuned.dispose();
    }
  });
});

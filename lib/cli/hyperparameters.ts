import yaml from 'js-yaml';
import type { Hyperparameters } from '../algorithm-api/types.js';
import { UsageError } from '../errors/index.js';
import { listSetting } from './settings.js';

/**
 * Parses repeated `--hp key=value` flags. Values parse as a YAML scalar would
 * (`0.01` → number, `true` → boolean, `resnet18` → string), which is what users expect from YAML.
 */
export function parseHyperparameterFlags(flags: readonly string[]): Hyperparameters {
  const out: Hyperparameters = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--hp expects key=value, got "${flag}"`);
    const key = flag.slice(0, eq).trim();
    const raw = flag.slice(eq + 1);
    out[key] = raw === '' ? '' : yaml.load(raw);
  }
  return out;
}

/** `--hp key=value` (repeatable, or `EDGE_STL_HP`), parsed by {@link parseHyperparameterFlags}. */
export const HP_SETTING = listSetting({ arg: 'key=value', help: 'hyperparameter (repeatable)' });

// PLACEHOLDER for branch t12b only, so that cli/commands/dataset.ts compiles: the lead's generator
// (lib/dataset/synth/) replaces this file at merge.
import { EdgeStlError } from '../../errors/index.js';

export interface SynthOptions {
  out: string;
  line: 1 | 2;
  split: string;
  count: number;
  seed: number;
}

export interface SynthResult {
  indexPath: string;
  images: number;
  boxes: number;
  classes: Record<string, number>;
}

export function synthesizeDataset(options: SynthOptions): Promise<SynthResult> {
  return Promise.reject(
    new EdgeStlError('NOT_BUILT', `the synthetic generator is not in this build (asked for ${options.out})`),
  );
}

/**
 * Algorithms that misbehave on purpose, for the bounded-work tests: one that takes its time, and
 * one whose engine breaks on a poisoned image. Both answer the built-in smoke-test image at once
 * while healthy, so they install like any model. Importing this module registers them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { ClassFactory, ClassType, type Detection, type ImageSource } from '../../../lib/algorithm-api/index.js';
import { MODEL_MANIFEST_FORMAT, writeModelPackage } from '../../../lib/model-package/index.js';

export const SLOW_ALIAS = 'EdgeAgentTestSlow';
export const BREAKING_ALIAS = 'EdgeAgentTestBreaking';

/** Width of the image that breaks a {@link BreakingModel}'s engine. */
export const POISON_WIDTH = 77;

const SMOKE_NAME = 'smoke-test.jpg';

/** Calls of `detect` on real (non smoke-test) images, across instances. */
export const calls = { slow: 0 };

/** Answers after `delay_ms` (asynchronously, like a native engine's async run). */
class SlowModel {
  private readonly delayMs: number;
  constructor(hp: Record<string, unknown> = {}) {
    this.delayMs = Number(hp.delay_ms ?? 500);
  }
  async load(): Promise<void> {}
  async detect(image: ImageSource): Promise<Detection[]> {
    if (typeof image !== 'string' && image.name === SMOKE_NAME) return [];
    calls.slow += 1;
    await new Promise((r) => setTimeout(r, this.delayMs));
    return [];
  }
  async predict(): Promise<never> {
    throw new Error('not used');
  }
  async dispose(): Promise<void> {}
}

let breakingInstances = 0;

/**
 * Fails on an image {@link POISON_WIDTH} pixels wide, and from then on on every image, as the
 * wasm backend did after one huge request. A new instance (a reload) works again; loads after the
 * first take a while so that the not-ready window can be observed.
 */
class BreakingModel {
  private broken = false;
  async load(): Promise<void> {
    breakingInstances += 1;
    if (breakingInstances > 1) await new Promise((r) => setTimeout(r, 400));
  }
  async detect(image: ImageSource): Promise<Detection[]> {
    if (this.broken) throw new Error('XNNPACK convolution setup failed');
    if (typeof image !== 'string' && (await sharp(image.data).metadata()).width === POISON_WIDTH) {
      this.broken = true;
      throw new Error('out of memory');
    }
    return [];
  }
  async predict(): Promise<never> {
    throw new Error('not used');
  }
  async dispose(): Promise<void> {}
}

for (const [alias, cls] of [
  [SLOW_ALIAS, SlowModel],
  [BREAKING_ALIAS, BreakingModel],
] as const) {
  if (!ClassFactory.has(ClassType.GENERAL, alias)) ClassFactory.register(ClassType.GENERAL, alias)(cls);
}

/** A valid model package of `alias` with `hyperparameters`; returns its path. */
export async function testModelZip(
  dir: string,
  alias: string,
  hyperparameters: Record<string, unknown> = {},
): Promise<string> {
  const src = join(dir, `${alias}-src`);
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'weights.bin'), Buffer.alloc(16));
  const out = join(dir, `${alias}.zip`);
  await writeModelPackage({
    dir: src,
    manifest: {
      formatVersion: MODEL_MANIFEST_FORMAT,
      algorithm: alias,
      classes: ['thing'],
      inputShortSide: 96,
      hyperparameters,
      metrics: {},
      parentVersion: null,
      createdAt: new Date(0).toISOString(),
    },
    out,
  });
  return out;
}

/** Model packages the agent must refuse, built from a good one. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yazl from 'yazl';
import { ClassFactory, ClassType, type BaseModel, type Detection } from '../../../lib/algorithm-api/index.js';
import {
  MODEL_MANIFEST_FORMAT,
  writeModelPackage,
  type ModelManifest,
} from '../../../lib/model-package/index.js';

/** ClassFactory alias of a model that loads fine and throws on every prediction. */
export const THROWING_ALIAS = 'EdgeAgentTestThrowing';

class ThrowingModel implements Partial<BaseModel> {
  async load(): Promise<void> {}
  async detect(): Promise<Detection[]> {
    throw new Error('this model always throws');
  }
  async predict(): Promise<never> {
    throw new Error('this model always throws');
  }
  async dispose(): Promise<void> {}
}

/** Registers {@link THROWING_ALIAS} (idempotent). */
export function registerThrowingModel(): void {
  if (!ClassFactory.has(ClassType.GENERAL, THROWING_ALIAS))
    ClassFactory.register(ClassType.GENERAL, THROWING_ALIAS)(ThrowingModel);
}

function manifest(algorithm: string): Omit<ModelManifest, 'files'> {
  return {
    formatVersion: MODEL_MANIFEST_FORMAT,
    algorithm,
    classes: ['thing'],
    inputShortSide: 96,
    hyperparameters: {},
    metrics: {},
    parentVersion: null,
    createdAt: new Date(0).toISOString(),
  };
}

/** A valid package whose algorithm throws at predict time. */
export async function throwingModelZip(dir: string): Promise<Buffer> {
  const src = join(dir, 'throwing-src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'weights.bin'), randomBytes(64));
  const out = join(dir, 'throwing.zip');
  await writeModelPackage({ dir: src, manifest: manifest(THROWING_ALIAS), out });
  return readFile(out);
}

/** Random bytes: not a zip at all. */
export function corruptZip(): Buffer {
  return randomBytes(4096);
}

/** A zip with a valid manifest and an entry named `../evil.txt`. */
export async function traversalZip(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const m = { ...manifest('FPN'), files: [] };
  zip.addBuffer(Buffer.from(JSON.stringify(m)), 'manifest.json');
  zip.addBuffer(Buffer.from('escaped'), 'aaaevil.txt');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  // yazl refuses `..` itself, so rename the entry in place (same length; names are outside the CRC).
  const bytes = Buffer.concat(chunks);
  const from = Buffer.from('aaaevil.txt');
  const to = Buffer.from('../evil.txt');
  for (let i = bytes.indexOf(from); i !== -1; i = bytes.indexOf(from, i + 1)) to.copy(bytes, i);
  return bytes;
}

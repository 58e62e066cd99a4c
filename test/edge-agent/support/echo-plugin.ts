/**
 * An algorithm plugin as a user writes one: a module file with `register(factory, types)` and no
 * edge-stl import. Its model answers one fixed box per image (score: the `score` hyperparameter).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const ECHO_ALIAS = 'EchoPluginModel';

const SOURCE = `export function register(factory, types) {
  class EchoPluginModel {
    constructor(hyperparameters = {}) { this.hp = hyperparameters; }
    async load() {}
    async predict(images) {
      return Object.fromEntries(images.map((img) => [img.split('/').pop(), [{ name: 'thing', bbox: [[1, 2, 3, 4, this.hp.score]] }]]));
    }
    async detect() { return []; }
    async evaluate() { return {}; }
    async train() { throw new Error('not trainable'); }
    async save() { throw new Error('not trainable'); }
    async dispose() {}
  }
  factory.register(types.GENERAL, '${ECHO_ALIAS}')(EchoPluginModel);
}
`;

/** Writes the plugin as `dir/echo-plugin.mjs`; returns its path. */
export async function writeEchoPlugin(dir: string): Promise<string> {
  const file = join(dir, 'echo-plugin.mjs');
  await writeFile(file, SOURCE);
  return file;
}

import { ClassFactory } from '../algorithm-api/class-factory.js';
import type { BaseModelConstructor } from '../algorithm-api/types.js';

/**
 * Registers the built-in algorithms (FPN) in the ClassFactory: the one place they are registered.
 * Lazy, so that importing a part does not start TF.js before it needs a model. Idempotent.
 */
export async function registerBuiltins(): Promise<void> {
  await import('./fpn/index.js');
}

/**
 * The built-in algorithms, then each `--plugin MODULE` in order (an alias taken twice is a
 * ClassFactoryError). Every command that loads or trains a model calls this once.
 */
export async function registerAlgorithms(plugins: readonly string[] = []): Promise<void> {
  await registerBuiltins();
  for (const plugin of plugins) await ClassFactory.registerFromModule(plugin);
}

/**
 * The class an edge agent serves a built-in algorithm with, where it differs from the class that
 * trains it: the FPN runs in a worker thread of its own, so an inference never blocks the agent's
 * /healthz, /readyz or /metrics. Undefined for every other alias.
 */
export async function builtinServingClass(alias: string): Promise<BaseModelConstructor | undefined> {
  if (alias !== 'FPN') return undefined;
  return (await import('./fpn/index.js')).ThreadedFpnModel;
}

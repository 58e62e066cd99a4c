/**
 * Registers the built-in algorithms in the ClassFactory. Loaded lazily so that importing the trainer
 * library does not start TF.js; the trainer CLI, the labeling teacher and tests call it once.
 */
export async function registerTrainerAlgorithms(): Promise<void> {
  await import('../lib/builtin-algorithms/fpn/index.js');
}

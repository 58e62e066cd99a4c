import { ClassFactory } from '../algorithm-api/class-factory.js';
import { ClassType } from '../algorithm-api/class-type.js';
import type { BaseModel, BaseModelConstructor, Hyperparameters, TrainProgress } from '../algorithm-api/types.js';
import { openModel } from '../algorithm-api/open-model.js';
import { initBackend, type BackendChoice } from '../tf/backend.js';
import { registerBuiltins } from './register.js';

/** Builds the registered algorithm `alias` with its hyperparameters (backend initialised first). */
export async function createModel(
  alias: string,
  hyperparameters: Hyperparameters,
  backend: BackendChoice = 'auto',
): Promise<BaseModel> {
  await registerBuiltins();
  const Cls = ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, alias);
  await initBackend(backend);
  return new Cls({ ...hyperparameters, backend });
}

/**
 * {@link openModel} on the chosen backend (initialised first), with the built-in algorithms
 * registered; `overrides` are inference-time hyperparameters (e.g. `score_threshold`).
 */
export async function loadModel(
  modelZip: string,
  backend: BackendChoice = 'auto',
  overrides: Hyperparameters = {},
): Promise<BaseModel> {
  await registerBuiltins();
  await initBackend(backend);
  return openModel(modelZip, { overrides: { ...overrides, backend } });
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** One progress line: iteration, loss and its parts, images/s, ETA. */
export function formatProgress(p: TrainProgress): string {
  const parts = Object.entries(p.lossParts)
    .map(([k, v]) => `${k}=${v.toFixed(3)}`)
    .join(' ');
  return `iter ${p.iteration}/${p.maxIteration} loss=${p.loss.toFixed(3)} ${parts} ${p.imagesPerSecond.toFixed(2)} img/s ETA ${fmtSeconds(p.etaSeconds)}`;
}

/**
 * Progress reporting for the CLI: a redrawn bar on a TTY, a plain line every `every` iterations
 * otherwise (logs stay readable).
 */
export function progressReporter(
  stream: NodeJS.WriteStream = process.stderr,
  every = 10,
): (p: TrainProgress) => void {
  if (stream.isTTY) {
    return (p) => {
      const width = 24;
      const filled = Math.round((p.iteration / p.maxIteration) * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      stream.write(`\r${bar} ${formatProgress(p)}\x1b[K${p.iteration === p.maxIteration ? '\n' : ''}`);
    };
  }
  return (p) => {
    if (p.iteration % every === 0 || p.iteration === p.maxIteration || p.iteration === 1)
      stream.write(`${formatProgress(p)}\n`);
  };
}

import { createHash } from 'node:crypto';
import type { AlgorithmConfig, AlgorithmModule } from './config.js';

/** One point of the hyperparameter grid: an algorithm with one value per hyperparameter. */
export interface TestCase {
  /** Stable id from the algorithm and its values, so output dirs survive reruns. */
  id: string;
  algorithm: AlgorithmConfig;
  /** module type → { name, pluginPath, hyperparameters } */
  modules: Record<
    string,
    { name: string; pluginPath: string | null; hyperparameters: Record<string, unknown> }
  >;
}

function cartesian<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

function expandModule(module: AlgorithmModule): Array<Record<string, unknown>> {
  const names = module.hyperparameters.map((h) => h.name);
  return cartesian(module.hyperparameters.map((h) => h.values)).map((values) =>
    Object.fromEntries(values.map((v, i) => [names[i], v])),
  );
}

/** Expands the Cartesian product of every module's hyperparameter lists into test cases, as Ianvs does. */
export function expandTestCases(algorithms: AlgorithmConfig[]): TestCase[] {
  return algorithms.flatMap((algorithm) => {
    const perModule = algorithm.modules.map((m) => expandModule(m).map((hps) => ({ module: m, hps })));
    return cartesian(perModule).map((choice) => {
      const modules = Object.fromEntries(
        choice.map(({ module, hps }) => [
          module.type,
          { name: module.name, pluginPath: module.pluginPath, hyperparameters: hps },
        ]),
      );
      const id = createHash('sha256')
        .update(JSON.stringify([algorithm.name, modules]))
        .digest('hex')
        .slice(0, 12);
      return { id, algorithm, modules };
    });
  });
}

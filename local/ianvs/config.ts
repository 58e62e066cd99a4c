import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import { EdgeStlError } from '../../lib/errors/index.js';

/** An Ianvs config file that cannot be used as given. */
export class IanvsConfigError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IANVS_CONFIG', message, options);
  }
}

export type SortOrder = 'ascend' | 'descend';

export interface RankConfig {
  sortBy: Array<{ metric: string; order: SortOrder }>;
  selectedMetrics: string[] | 'all';
  selectedHyperparameters: string[] | 'all';
  saveMode: 'selected_and_all' | 'selected_only';
}

export interface AlgorithmModule {
  type: string;
  /** ClassFactory alias. */
  name: string;
  /** Plugin module path, resolved; null when absent or a Python file (built-in alias used). */
  pluginPath: string | null;
  /** Hyperparameter name → candidate values, in file order. */
  hyperparameters: Array<{ name: string; values: unknown[] }>;
}

export interface AlgorithmConfig {
  name: string;
  paradigmType: string;
  initialModelUrl: string | null;
  modules: AlgorithmModule[];
}

export interface BenchmarkingJob {
  name: string;
  workspace: string;
  trainIndex: string;
  testIndex: string;
  metrics: string[];
  algorithms: AlgorithmConfig[];
  rank: RankConfig;
}

type Obj = Record<string, unknown>;

async function loadYaml(path: string, what: string): Promise<Obj> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new IanvsConfigError(`cannot read ${what} "${path}"`, { cause: err });
  }
  const doc = yaml.load(text);
  if (!doc || typeof doc !== 'object') throw new IanvsConfigError(`${what} "${path}" is not a YAML mapping`);
  return doc as Obj;
}

function section(doc: Obj, key: string, file: string): Obj {
  const value = doc[key];
  if (!value || typeof value !== 'object') throw new IanvsConfigError(`${file}: missing "${key}" section`);
  return value as Obj;
}

function requireString(obj: Obj, key: string, where: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value === '')
    throw new IanvsConfigError(`${where}: "${key}" must be a non-empty string`);
  return value;
}

/**
 * Ianvs resolves relative paths against the directory it runs in (its repo root). We try that
 * first, so configs run unchanged, then the directory of the file that names the path.
 */
export function resolveConfigPath(path: string, referencingFile: string): string {
  if (isAbsolute(path)) return path;
  const fromCwd = resolve(process.cwd(), path);
  if (existsSync(fromCwd)) return fromCwd;
  return resolve(dirname(referencingFile), path);
}

function parseRank(rank: Obj | undefined): RankConfig {
  const sortBy = Array.isArray(rank?.sort_by) ? (rank!.sort_by as Obj[]) : [{ f1_score: 'descend' }];
  const selected = (rank?.selected_dataitem ?? {}) as Obj;
  const listOrAll = (v: unknown): string[] | 'all' =>
    !Array.isArray(v) || v.includes('all') ? 'all' : (v as unknown[]).map(String);
  return {
    sortBy: sortBy.map((entry) => {
      const [metric, order] = Object.entries(entry)[0] ?? [];
      if (!metric || (order !== 'ascend' && order !== 'descend')) {
        throw new IanvsConfigError(
          `rank.sort_by entries look like { f1_score: descend }, got ${JSON.stringify(entry)}`,
        );
      }
      return { metric, order };
    }),
    selectedMetrics: listOrAll(selected.metrics),
    selectedHyperparameters: listOrAll(selected.hyperparameters),
    saveMode: rank?.save_mode === 'selected_only' ? 'selected_only' : 'selected_and_all',
  };
}

function parseHyperparameters(list: unknown, where: string): AlgorithmModule['hyperparameters'] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new IanvsConfigError(`${where}: hyperparameters must be a list`);
  return list.map((item) => {
    const [name, spec] = Object.entries((item ?? {}) as Obj)[0] ?? [];
    const values = (spec as Obj | undefined)?.values;
    if (!name || !Array.isArray(values) || values.length === 0) {
      throw new IanvsConfigError(`${where}: each hyperparameter looks like "- name: { values: [...] }"`);
    }
    return { name, values };
  });
}

async function parseAlgorithm(name: string, file: string): Promise<AlgorithmConfig> {
  const algorithm = section(await loadYaml(file, 'algorithm config'), 'algorithm', file);
  const paradigmType = requireString(algorithm, 'paradigm_type', file);
  if (paradigmType !== 'singletasklearning') {
    throw new IanvsConfigError(
      `${file}: paradigm_type "${paradigmType}" is not supported; edge-stl runs "singletasklearning"`,
    );
  }
  const modules = Array.isArray(algorithm.modules) ? (algorithm.modules as Obj[]) : [];
  if (!modules.some((m) => m.type === 'basemodel'))
    throw new IanvsConfigError(`${file}: no module with type "basemodel"`);
  const initial = typeof algorithm.initial_model_url === 'string' ? algorithm.initial_model_url : null;
  return {
    name,
    paradigmType,
    initialModelUrl: initial ? resolveConfigPath(initial, file) : null,
    modules: modules.map((m, i) => {
      const where = `${file}: modules[${i}]`;
      const url = typeof m.url === 'string' ? m.url : null;
      // A Python basemodel.py names the algorithm the seed ran; its alias picks our built-in port.
      const pluginPath = url && /\.(m?[jt]s|cjs)$/.test(url) ? resolveConfigPath(url, file) : null;
      return {
        type: requireString(m, 'type', where),
        name: requireString(m, 'name', where),
        pluginPath,
        hyperparameters: parseHyperparameters(m.hyperparameters, where),
      };
    }),
  };
}

/** Reads `benchmarkingjob.yaml` and the testenv and algorithm files it names. */
export async function loadBenchmarkingJob(file: string): Promise<BenchmarkingJob> {
  const job = section(await loadYaml(file, 'benchmarking job'), 'benchmarkingjob', file);
  const testenvFile = resolveConfigPath(requireString(job, 'testenv', file), file);
  const testenv = section(await loadYaml(testenvFile, 'testenv'), 'testenv', testenvFile);
  const dataset = section(testenv, 'dataset', testenvFile);
  const trainIndex = (dataset.train_url ?? dataset.train_index) as string | undefined;
  const testIndex = (dataset.test_url ?? dataset.test_index) as string | undefined;
  if (!trainIndex || !testIndex)
    throw new IanvsConfigError(`${testenvFile}: dataset needs train_url and test_url`);
  const metrics = Array.isArray(testenv.metrics) ? (testenv.metrics as Obj[]).map((m) => String(m.name)) : [];
  if (metrics.length === 0)
    throw new IanvsConfigError(`${testenvFile}: metrics must list at least one metric`);

  const testObject = section(job, 'test_object', file);
  const algorithms = Array.isArray(testObject.algorithms) ? (testObject.algorithms as Obj[]) : [];
  if (algorithms.length === 0) throw new IanvsConfigError(`${file}: test_object.algorithms is empty`);
  return {
    name: requireString(job, 'name', file),
    // An output: relative to where the command runs, as in Ianvs.
    workspace: resolve(process.cwd(), requireString(job, 'workspace', file)),
    trainIndex: resolveConfigPath(trainIndex, testenvFile),
    testIndex: resolveConfigPath(testIndex, testenvFile),
    metrics,
    algorithms: await Promise.all(
      algorithms.map((a, i) =>
        parseAlgorithm(
          requireString(a, 'name', `${file}: algorithms[${i}]`),
          resolveConfigPath(requireString(a, 'url', `${file}: algorithms[${i}]`), file),
        ),
      ),
    ),
    rank: parseRank(job.rank as Obj | undefined),
  };
}

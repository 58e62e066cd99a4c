import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassFactory, ClassType, type BaseModelConstructor } from '../../lib/algorithm-api/index.js';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import { loadDataset } from '../../lib/dataset/index.js';
import type { Logger } from '../../lib/log.js';
import type { BenchmarkingJob } from './config.js';
import { allRank, formatRankCsv, selectedRank, type RankTable, type TestCaseResult } from './rank.js';
import { expandTestCases, type TestCase } from './test-cases.js';

export interface BenchmarkOutcome {
  results: TestCaseResult[];
  all: RankTable;
  selected: RankTable;
  allRankFile: string;
  selectedRankFile: string;
}

/** The built-ins, then each module's `url:` plugin once. */
async function registerPlugins(job: BenchmarkingJob): Promise<void> {
  const plugins = job.algorithms.flatMap((a) => a.modules).flatMap((m) => (m.pluginPath ? [m.pluginPath] : []));
  await registerAlgorithms([...new Set(plugins)]);
}

async function runTestCase(job: BenchmarkingJob, testCase: TestCase, log: Logger): Promise<TestCaseResult> {
  const basemodel = testCase.modules.basemodel;
  const outDir = join(
    job.workspace,
    job.name,
    testCase.algorithm.paradigmType,
    testCase.algorithm.name,
    testCase.id,
  );
  await mkdir(outDir, { recursive: true });
  const Model = ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, basemodel.name);
  const model = new Model(basemodel.hyperparameters);
  try {
    const [train, test] = [await loadDataset(job.trainIndex), await loadDataset(job.testIndex)];
    if (testCase.algorithm.initialModelUrl) await model.load(testCase.algorithm.initialModelUrl);
    log.info({ testCase: testCase.id, hyperparameters: basemodel.hyperparameters }, 'Training test case');
    await model.train(train, undefined, {
      workDir: join(outDir, 'work'),
      onProgress: (p) =>
        log.debug({ testCase: testCase.id, iteration: p.iteration, loss: p.loss }, 'Training progress'),
    });
    await model.save(join(outDir, 'model.zip'));
    const metrics: Record<string, number> = {};
    for (const metric of job.metrics) {
      const scores = await model.evaluate(test, undefined, { metric });
      metrics[metric] = scores[metric];
    }
    log.info({ testCase: testCase.id, metrics }, 'Evaluated test case');
    await writeFile(join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2));
    return { testCase, metrics, time: new Date().toISOString().replace('T', ' ').slice(0, 19), url: outDir };
  } finally {
    await model.dispose();
  }
}

/**
 * Runs an Ianvs single-task-learning benchmark: every point of the hyperparameter grid is trained
 * and evaluated, then ranked into `<workspace>/rank/all_rank.csv` and `selected_rank.csv`.
 */
export async function runBenchmark(job: BenchmarkingJob, log: Logger): Promise<BenchmarkOutcome> {
  await registerPlugins(job);
  const testCases = expandTestCases(job.algorithms);
  log.info({ job: job.name, testCases: testCases.length }, 'Running benchmark');
  const results: TestCaseResult[] = [];
  for (const testCase of testCases) results.push(await runTestCase(job, testCase, log));

  const rankDir = join(job.workspace, 'rank');
  await mkdir(rankDir, { recursive: true });
  const all = allRank(results, job.rank);
  const selected = selectedRank(results, job.rank);
  const allRankFile = join(rankDir, 'all_rank.csv');
  const selectedRankFile = join(rankDir, 'selected_rank.csv');
  if (job.rank.saveMode === 'selected_and_all') await writeFile(allRankFile, formatRankCsv(all));
  await writeFile(selectedRankFile, formatRankCsv(selected));
  return { results, all, selected, allRankFile, selectedRankFile };
}

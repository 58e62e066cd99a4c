import { BACKEND_SETTING } from '../../lib/cli/backend-setting.js';
import { parseSettings, settingsUsage } from '../../lib/cli/settings.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log.js';
import { loadBenchmarkingJob } from '../../local/ianvs/config.js';
import { formatRankTable } from '../../local/ianvs/rank.js';
import { runBenchmark } from '../../local/ianvs/runner.js';
import { initBackend } from '../../lib/tf/backend.js';

const SETTINGS = { backend: BACKEND_SETTING };

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl ianvs BENCHMARKINGJOB.yaml [--backend auto|tensorflow|wasm|cpu]

Runs an Ianvs single-task-learning benchmark from Ianvs-format files (benchmarkingjob.yaml,
testenv.yaml, algorithm yaml): every point of the hyperparameter grid is trained and evaluated,
then <workspace>/rank/all_rank.csv and selected_rank.csv are written and the table is printed.
--backend picks the TF.js backend for the whole run. Algorithm plugins come from the algorithm
yaml's module url.`,
});

export async function run(argv: string[]): Promise<number> {
  const parsed = parseSettings(SETTINGS, argv, process.env, { allowPositionals: true });
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('expects one benchmarkingjob.yaml');
  const backend = values.backend;
  // The first initialisation holds for the process: every model of the run uses this backend.
  if (backend) await initBackend(backend);
  const log = createLogger('ianvs');
  const job = await loadBenchmarkingJob(positionals[0]);
  const outcome = await runBenchmark(job, log);
  console.log(formatRankTable(outcome.selected));
  console.log(`\nrank files: ${outcome.allRankFile}, ${outcome.selectedRankFile}`);
  return 0;
}

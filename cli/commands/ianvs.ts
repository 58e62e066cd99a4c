import { choiceFlag, parseFlags } from '../../lib/cli/args.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log.js';
import { loadBenchmarkingJob } from '../../local/ianvs/config.js';
import { formatRankTable } from '../../local/ianvs/rank.js';
import { runBenchmark } from '../../local/ianvs/runner.js';
import { BACKEND_CHOICES, initBackend } from '../../lib/tf/backend.js';

export const usage = `Usage: edge-stl ianvs BENCHMARKINGJOB.yaml [--backend auto|tensorflow|wasm|cpu]

Runs an Ianvs single-task-learning benchmark from Ianvs-format files (benchmarkingjob.yaml,
testenv.yaml, algorithm yaml): every point of the hyperparameter grid is trained and evaluated,
then <workspace>/rank/all_rank.csv and selected_rank.csv are written and the table is printed.
--backend picks the TF.js backend for the whole run (default: $EDGE_STL_BACKEND or auto).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, backend: { type: 'string' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('expects one benchmarkingjob.yaml');
  const backend = choiceFlag('backend', values.backend, BACKEND_CHOICES);
  // The first initialisation holds for the process: every model of the run uses this backend.
  if (backend) await initBackend(backend);
  const log = createLogger('ianvs');
  const job = await loadBenchmarkingJob(positionals[0]);
  const outcome = await runBenchmark(job, log);
  console.log(formatRankTable(outcome.selected));
  console.log(`\nrank files: ${outcome.allRankFile}, ${outcome.selectedRankFile}`);
  return 0;
}

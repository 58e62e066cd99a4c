import { parseArgs } from 'node:util';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log.js';
import { loadBenchmarkingJob } from '../../local/ianvs/config.js';
import { formatRankTable } from '../../local/ianvs/rank.js';
import { runBenchmark } from '../../local/ianvs/runner.js';

const USAGE = `Usage: edge-stl ianvs BENCHMARKINGJOB.yaml [--backend auto|tensorflow|wasm|cpu]

Runs an Ianvs single-task-learning benchmark from Ianvs-format files (benchmarkingjob.yaml,
testenv.yaml, algorithm yaml): every point of the hyperparameter grid is trained and evaluated,
then <workspace>/rank/all_rank.csv and selected_rank.csv are written and the table is printed.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, backend: { type: 'string' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expects one benchmarkingjob.yaml\n\n${USAGE}`);
  if (values.backend) process.env.EDGE_STL_BACKEND = values.backend;
  const log = createLogger('ianvs');
  const job = await loadBenchmarkingJob(positionals[0]);
  const outcome = await runBenchmark(job, log);
  console.log(formatRankTable(outcome.selected));
  console.log(`\nrank files: ${outcome.allRankFile}, ${outcome.selectedRankFile}`);
  return 0;
}

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { choiceFlag, numberFlag, parseFlags } from '../../lib/cli/args.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger, setDefaultLogDestination } from '../../lib/log.js';
import { resolveProfile } from '../../local/profiles.js';
import { TerminalView } from '../../local/terminal-view.js';
import { resolveRunData } from '../../local/run-data.js';
import { BACKEND_CHOICES, initBackend } from '../../lib/tf/backend.js';
import { runUp } from '../../local/up.js';

export const usage = `Usage: edge-stl up [JOB.yaml] [options]

Runs the whole single-task-learning loop on this machine: operator (local job store), trainer,
labeling service and edge agents with simulated cameras, on an embedded Redis and S3 unless
REDIS_URL / S3_ENDPOINT (+ S3_ACCESS_KEY, S3_SECRET_KEY) name existing ones. Rerunning resumes.
With no data flags it brings its own data: round 0 trains on a synthetic first production line,
the cameras stream a second line that looks different, and every round is scored on the second
line's test split and on the first line's.

  JOB.yaml              SingleTaskLearningJob (default examples/pcb-aoi/job.yaml)
  --profile NAME        quick (a few minutes) | default (accuracy target) | tiny (tests)   [quick]
  --state-dir DIR       state kept between runs                                            [.state/up]
  --out DIR             report.html and summary.json                                       [out]
  --dataset DIR         the first line: train_data/ trains round 0, test_data/ is the reference
                        test                                  [synthetic line 1, made in the state dir]
  --stream INDEX|DIR    what the cameras send: an Ianvs index (its annotations answer for the
                        labeler in auto mode) or a dir of images
                        [synthetic line 2 stream; with --dataset alone: a held-back 25% of train_data]
  --test-index INDEX    evaluation set, never streamed nor trained on  [the stream's sibling test_data]
  --label auto|manual   auto: oracle/teacher labels; manual: label in the web page        [auto]
  --agents N            simulated edge nodes                                                [2]
  --backend NAME        auto | tensorflow | wasm | cpu                  [$EDGE_STL_BACKEND or auto]
Logs go to <state-dir>/up.log; progress and messages to stderr, the report's paths to stdout.`;

function repoRoot(): string {
  // cli/commands (sources) or dist/cli/commands (built): the repo root holds examples/.
  const here = dirname(fileURLToPath(import.meta.url));
  return (
    [resolve(here, '..', '..'), resolve(here, '..', '..', '..')].find((d) =>
      existsSync(join(d, 'examples')),
    ) ?? process.cwd()
  );
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      profile: { type: 'string', default: 'quick' },
      'state-dir': { type: 'string', default: join('.state', 'up') },
      out: { type: 'string', default: 'out' },
      dataset: { type: 'string' },
      stream: { type: 'string' },
      'test-index': { type: 'string' },
      label: { type: 'string', default: 'auto' },
      agents: { type: 'string', default: '2' },
      backend: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('expects at most one JOB.yaml');
  const label = choiceFlag('label', values.label, ['auto', 'manual'] as const)!;
  const agents = numberFlag('agents', values.agents, { min: 1, max: 16 })!;
  const backend = choiceFlag('backend', values.backend, BACKEND_CHOICES);
  const profile = resolveProfile(values.profile!);

  const stateDir = resolve(values['state-dir']!);
  await mkdir(stateDir, { recursive: true });
  const logFile = join(stateDir, 'up.log');
  // Every component's logger writes to the file; the terminal shows the live view.
  setDefaultLogDestination(pino.destination({ dest: logFile, sync: false, mkdir: true }));
  const log = createLogger('edge-stl-up');
  // The first initialisation holds for the process: the trainer and the agents use this backend.
  if (backend) await initBackend(backend);

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    console.error('\nStopping (Ctrl-C again to force); rerun the same command to resume.');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  console.error(`edge-stl up: profile ${profile.name}, state ${stateDir}, logs ${logFile}`);
  try {
    const data = await resolveRunData({
      stateDir,
      log,
      ...(values.dataset ? { dataset: values.dataset } : {}),
      ...(values.stream ? { stream: values.stream } : {}),
      ...(values['test-index'] ? { testIndex: values['test-index'] } : {}),
    });
    console.error(`Data: ${data.description}.`);
    const result = await runUp({
      jobFile: positionals[0] ?? join(repoRoot(), 'examples', 'pcb-aoi', 'job.yaml'),
      stateDir,
      outDir: resolve(values.out!),
      profile,
      data,
      labelMode: label,
      agents,
      log,
      signal: controller.signal,
      view: new TerminalView(),
      onStarted: ({ labelingUrl }) => {
        if (label === 'manual') console.error(`Label samples at ${labelingUrl}`);
      },
    });
    if (controller.signal.aborted) return 130;
    if (result.stopReason) console.error(`Stopped in phase ${result.phase}: ${result.stopReason}.`);
    else console.error(`Job ended in phase ${result.phase}.`);
    if (result.reportPath) console.log(`Report: ${result.reportPath}\nSummary: ${result.summaryPath}`);
    return result.phase === 'Completed' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log.flush();
  }
}

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import { BACKEND_SETTING } from '../../lib/cli/backend-setting.js';
import { PLUGIN_SETTING } from '../../lib/cli/plugin-setting.js';
import {
  choiceSetting,
  numberSetting,
  parseSettings,
  settingsUsage,
  stringSetting,
} from '../../lib/cli/settings.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger, setDefaultLogDestination } from '../../lib/log.js';
import { resolveProfile } from '../../local/profiles.js';
import { TerminalView } from '../../local/terminal-view.js';
import { resolveRunData } from '../../local/run-data.js';
import { initBackend } from '../../lib/tf/backend.js';
import { runUp } from '../../local/up.js';

const SETTINGS = {
  profile: stringSetting({
    arg: 'NAME',
    default: 'quick',
    help: 'quick (a few minutes) | default (accuracy target) | tiny (tests)',
  }),
  'state-dir': stringSetting({ arg: 'DIR', default: join('.state', 'up'), help: 'state kept between runs' }),
  out: stringSetting({ arg: 'DIR', default: 'out', help: 'report.html and summary.json' }),
  dataset: stringSetting({
    arg: 'DIR',
    defaultText: 'synthetic line 1',
    help: 'the first line: train_data/ trains round 0, test_data/ is the reference test',
  }),
  stream: stringSetting({
    arg: 'INDEX|DIR',
    defaultText: 'synthetic line 2',
    help: 'what the cameras send: an Ianvs index (its annotations answer in auto mode) or a dir of images; with --dataset alone: a held-back 25% of train_data',
  }),
  'test-index': stringSetting({
    arg: 'INDEX',
    defaultText: "the stream's test_data",
    help: 'evaluation set, never streamed nor trained on',
  }),
  label: choiceSetting({
    choices: ['auto', 'manual'] as const,
    default: 'auto',
    help: 'auto: oracle/teacher labels; manual: label in the web page',
  }),
  agents: numberSetting({ arg: 'N', min: 1, max: 16, default: 2, help: 'simulated edge nodes' }),
  backend: BACKEND_SETTING,
  plugin: PLUGIN_SETTING,
};

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl up [JOB.yaml] [options]

Runs the whole single-task-learning loop on this machine: operator (local job store), trainer,
labeling service and edge agents with simulated cameras, on an embedded Redis and S3 unless
REDIS_URL / S3_ENDPOINT (+ S3_ACCESS_KEY, S3_SECRET_KEY) name existing ones. Rerunning resumes.
With no data flags it brings its own data: round 0 trains on a synthetic first production line,
the cameras stream a second line that looks different, and every round is scored on the second
line's test split and on the first line's.

  JOB.yaml   SingleTaskLearningJob (default examples/pcb-aoi/job.yaml); a job whose algorithm comes
             from a plugin needs that --plugin (the trainer, the teacher and the agents all use it)`,
  tail: "Logs go to <state-dir>/up.log; progress and messages to stderr, the report's paths to stdout.",
});

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
  const parsed = parseSettings(SETTINGS, argv, process.env, { allowPositionals: true });
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError('expects at most one JOB.yaml');
  const { label, agents, backend } = values;
  const profile = resolveProfile(values.profile);

  const stateDir = resolve(values['state-dir']);
  await mkdir(stateDir, { recursive: true });
  const logFile = join(stateDir, 'up.log');
  // Every component's logger writes to the file; the terminal shows the live view.
  setDefaultLogDestination(pino.destination({ dest: logFile, sync: false, mkdir: true }));
  const log = createLogger('edge-stl-up');
  // The first initialisation holds for the process: the trainer and the agents use this backend.
  if (backend) await initBackend(backend);
  // In-process: the trainer, the labeling teacher and the agents share this ClassFactory.
  await registerAlgorithms(values.plugin);

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
      outDir: resolve(values.out),
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

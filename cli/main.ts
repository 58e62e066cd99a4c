import { UsageError } from '../lib/errors/index.js';
import { applyLogFormat } from './log-format.js';

/** A subcommand module: `run(argv)` resolves to an exit code; `usage` is printed with every misuse. */
interface CommandModule {
  usage: string;
  run: (argv: string[]) => Promise<number>;
}

interface Command {
  summary: string;
  load: () => Promise<CommandModule>;
}

/** Subcommands, loaded lazily so that `edge-stl validate` does not pay for TF.js start-up. */
const COMMANDS: Record<string, Command> = {
  up: {
    summary: 'Run the whole loop on this machine (embedded mode)',
    load: () => import('./commands/up.js'),
  },
  ianvs: {
    summary: 'Run an Ianvs single-task-learning benchmark config',
    load: () => import('./commands/ianvs.js'),
  },
  dataset: {
    summary: 'Pull (PCB-AoI), check or synthesize an Ianvs dataset',
    load: () => import('./commands/dataset.js'),
  },
  validate: {
    summary: 'Validate SingleTaskLearningJob YAML files',
    load: () => import('./commands/validate.js'),
  },
  train: {
    summary: 'Train a detector (FPN) on an Ianvs index and write model.zip',
    load: () => import('./commands/train.js'),
  },
  predict: {
    summary: 'Run a model.zip on images; write the Ianvs predict_dict',
    load: () => import('./commands/predict.js'),
  },
  eval: {
    summary: 'Score a model.zip on a test index (f1_score, mAP50)',
    load: () => import('./commands/eval.js'),
  },
  trainer: { summary: 'Run a cloud training worker (BullMQ)', load: () => import('./commands/trainer.js') },
  labeling: {
    summary: 'Run the labeling service (web page + API, auto mode)',
    load: () => import('./commands/labeling.js'),
  },
  operator: {
    summary: 'Run the operator (reconciler + edge coordination API)',
    load: () => import('./commands/operator.js'),
  },
  'edge-agent': {
    summary: 'Run the edge agent (inference, sampling outbox, model updates)',
    load: () => import('./commands/edge-agent.js'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: edge-stl [--log-format json|pretty] <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "edge-stl <command> --help" for a command's options. Logs are pino JSON lines on stderr;\n--log-format pretty makes them readable. Results go to stdout, messages to stderr.`;
}

/**
 * CLI entry: dispatches to a subcommand; the one place that turns errors into output and exit
 * codes. Misuse (a {@link UsageError}: unknown flag, bad value, missing argument) prints
 * `edge-stl <cmd>: <what>` and the command's usage on stderr, exit 2; any other failure prints
 * `edge-stl <cmd>: <what>`, exit 1.
 */
export async function main(argv: string[]): Promise<number> {
  let args: string[];
  try {
    args = applyLogFormat(argv);
  } catch (err) {
    console.error(`edge-stl: ${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  const [name, ...rest] = args;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (!name) {
    console.error(usage());
    return 2;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`edge-stl: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  let mod: CommandModule | undefined;
  try {
    mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`edge-stl ${name}: ${err.message}${mod ? `\n\n${mod.usage}` : ''}`);
      return 2;
    }
    console.error(`edge-stl ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.LOG_LEVEL === 'debug') console.error(err instanceof Error && err.cause ? err.cause : err);
    return 1;
  }
}

import { EdgeStlError, UsageError } from '../lib/errors/index.js';

/** A subcommand: its module exports `run(argv)` resolving to an exit code. */
interface Command {
  summary: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
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
  return `Usage: edge-stl <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "edge-stl <command> --help" for a command's options.`;
}

/** CLI entry: dispatches to a subcommand and maps errors to exit codes (2 usage, 1 failure). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`edge-stl: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`edge-stl ${name}: ${err.message}`);
      return 2;
    }
    if (err instanceof EdgeStlError) {
      console.error(`edge-stl ${name}: ${err.message}`);
      if (process.env.LOG_LEVEL === 'debug' && err.cause) console.error(err.cause);
      return 1;
    }
    throw err;
  }
}

import { resolve } from 'node:path';
import {
  customSetting,
  numberSetting,
  parseSettings,
  settingsLines,
  stringSetting,
} from '../../lib/cli/settings.js';
import { byteProgressBar } from '../../lib/cli/byte-progress.js';
import { checkDataset, type IndexCheckReport } from '../../lib/dataset/check.js';
import {
  defaultDatasetsDir,
  PUBLIC_DATASETS,
  pullDataset,
  type PublicDatasetName,
} from '../../lib/dataset/pull.js';
import { synthesizeDataset } from '../../lib/dataset/synth/index.js';
import { UsageError } from '../../lib/errors/index.js';
import { IANVS_PCB_AOI_CLASSES } from '../../lib/metrics/ianvs-f1.js';

const PCB_AOI_URL = PUBLIC_DATASETS['pcb-aoi'].url;

const PULL_SETTINGS = {
  dir: stringSetting({
    arg: 'DIR',
    defaultText: '$XDG_CACHE_HOME/edge-stl/datasets',
    help: 'the dataset lands in DIR/<name> (no XDG_CACHE_HOME: ~/.cache/edge-stl/datasets)',
  }),
  url: customSetting({
    arg: 'URL',
    env: 'EDGE_STL_PCB_AOI_URL',
    defaultText: 'the public archive',
    help: 'a mirror of the archive',
    check: (raw, name) => {
      if (!/^https?:\/\//.test(raw))
        throw new UsageError(`${name} must be an http:// or https:// URL, got "${raw}"`);
      return raw;
    },
  }),
};

const CHECK_SETTINGS = {
  classes: customSetting({
    arg: 'A,B,...',
    defaultText: 'the PCB-AoI classes',
    help: 'the known class names',
    check: (raw, name) => {
      const classes = raw
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      if (classes.length === 0) throw new UsageError(`${name} expects a comma-separated list of class names`);
      return classes;
    },
  }),
};

const SYNTH_SETTINGS = {
  out: stringSetting({ arg: 'DIR', help: 'where the split goes (required)' }),
  line: numberSetting({ arg: '1|2', min: 1, max: 2, default: 1, help: 'production line' }),
  split: customSetting({
    arg: 'NAME',
    default: 'train_data',
    help: 'split name',
    check: (raw, name) => {
      if (!/^[A-Za-z0-9_-]+$/.test(raw))
        throw new UsageError(`${name} may use letters, digits, _ and - only, got "${raw}"`);
      return raw;
    },
  }),
  count: numberSetting({ arg: 'N', min: 1, default: 240, help: 'images' }),
  seed: numberSetting({ arg: 'S', min: 0, default: 1, help: 'the same seed gives byte-identical files' }),
};

export const usage = `Usage: edge-stl dataset <pull|check|synth> [options]

  pull pcb-aoi [options]
      Downloads the public PCB-AoI archive that Ianvs documents,
      ${PCB_AOI_URL}
      (or a mirror), resuming with HTTP Range after a cut; unzips it with the model package's
      safety rules and checks the Ianvs layout. It lands in DIR/pcb-aoi (train_data/, test_data/).
      Already there: nothing is fetched. The last stdout line is JSON:
      {"root", "train_index", "test_index", "fetched"}.
${settingsLines(PULL_SETTINGS, { indent: 6 })}

  check DIR|INDEX [options]
      Checks an Ianvs index (or DIR/index.txt, or every DIR/<split>/index.txt): every image
      decodes, every annotation parses and matches its image's size, boxes lie inside their image,
      classes are known (PCB-AoI: ${IANVS_PCB_AOI_CLASSES.join(',')}). Prints the counts per class;
      prints each fault naming its file and exits 1 when there is any.
${settingsLines(CHECK_SETTINGS, { indent: 6 })}

  synth --out DIR [options]
      Writes a deterministic synthetic PCB-AoI-like split (Ianvs layout: index.txt, JPEGImages/,
      Annotations/) into DIR. Line 1 and line 2 are two production lines that look different.
      The last stdout line is JSON: {"index", "images", "boxes"}.
${settingsLines(SYNTH_SETTINGS, { indent: 6 })}

Options are (flag, environment variable, default, meaning).`;

/** `edge-stl dataset`: pull, check or synthesize a dataset. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'pull':
      return pull(rest);
    case 'check':
      return check(rest);
    case 'synth':
      return synth(rest);
    case '--help':
    case '-h':
    case 'help':
      return help();
    case undefined:
      throw new UsageError('expects a subcommand: pull, check or synth');
    default:
      throw new UsageError(`unknown subcommand "${sub}"; valid: pull, check, synth`);
  }
}

async function pull(argv: string[]): Promise<number> {
  const parsed = parseSettings(PULL_SETTINGS, argv, process.env, { allowPositionals: true });
  if (parsed.help) return help();
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0 || !(name in PUBLIC_DATASETS)) {
    throw new UsageError(`pull expects one dataset name; known: ${Object.keys(PUBLIC_DATASETS).join(', ')}`);
  }
  const url = values.url;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  const bar = byteProgressBar(`pull ${name}`);
  try {
    const pulled = await pullDataset(name as PublicDatasetName, {
      dir: resolve(values.dir ?? defaultDatasetsDir()),
      ...(url ? { url } : {}),
      ...(bar ? { onProgress: bar.onProgress } : {}),
      signal: controller.signal,
    });
    bar?.done();
    console.error(
      pulled.fetched ? `pulled ${name} into ${pulled.root}` : `${name} is already in ${pulled.root}`,
    );
    console.log(
      JSON.stringify({
        root: pulled.root,
        train_index: pulled.indexes.train_data,
        test_index: pulled.indexes.test_data,
        fetched: pulled.fetched,
      }),
    );
    return 0;
  } finally {
    bar?.done();
    process.off('SIGINT', stop);
  }
}

async function check(argv: string[]): Promise<number> {
  const parsed = parseSettings(CHECK_SETTINGS, argv, process.env, { allowPositionals: true });
  if (parsed.help) return help();
  const { positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('check expects one DIR or INDEX');
  const { classes } = parsed.values;
  const reports = await checkDataset(positionals[0]!, classes ? { classes } : {});
  for (const report of reports) printReport(report);
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  if (problems > 0) console.error(`${problems} error${problems === 1 ? '' : 's'}`);
  return problems > 0 ? 1 : 0;
}

function printReport(r: IndexCheckReport): void {
  console.log(`${r.index}: ${r.images} images, ${r.annotated} annotated, ${r.boxes} boxes`);
  const names = Object.keys(r.perClass).sort();
  const width = Math.max(5, ...names.map((n) => n.length));
  for (const name of names) console.log(`  ${name.padEnd(width)}  ${r.perClass[name]}`);
  for (const p of r.problems) console.error(`error: ${p.message}`);
}

async function synth(argv: string[]): Promise<number> {
  const parsed = parseSettings(SYNTH_SETTINGS, argv, process.env, { allowPositionals: true });
  if (parsed.help) return help();
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError('synth takes no positional arguments');
  if (!values.out) throw new UsageError('synth needs --out DIR');
  const result = await synthesizeDataset({
    out: resolve(values.out),
    line: values.line as 1 | 2,
    split: values.split,
    count: values.count,
    seed: values.seed,
  });
  console.log(JSON.stringify({ index: result.indexPath, images: result.images, boxes: result.boxes }));
  return 0;
}

function help(): number {
  console.log(usage);
  return 0;
}

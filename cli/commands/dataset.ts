import { resolve } from 'node:path';
import { numberFlag, parseFlags } from '../../lib/cli/args.js';
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

export const usage = `Usage: edge-stl dataset <pull|check|synth> [options]

  pull pcb-aoi [--dir DIR] [--url URL]
      Downloads the public PCB-AoI archive that Ianvs documents,
      ${PCB_AOI_URL}
      (or a mirror: --url, else the EDGE_STL_PCB_AOI_URL environment variable), resuming with
      HTTP Range after a cut; unzips it with the model package's safety rules and checks the Ianvs
      layout. It lands in DIR/pcb-aoi (train_data/, test_data/); DIR defaults to
      $XDG_CACHE_HOME/edge-stl/datasets (else ~/.cache/edge-stl/datasets). Already there: nothing
      is fetched. The last stdout line is JSON: {"root", "train_index", "test_index", "fetched"}.

  check DIR|INDEX [--classes A,B,...]
      Checks an Ianvs index (or DIR/index.txt, or every DIR/<split>/index.txt): every image
      decodes, every annotation parses and matches its image's size, boxes lie inside their image,
      classes are known (default: ${IANVS_PCB_AOI_CLASSES.join(',')}). Prints the counts per class;
      prints each fault naming its file and exits 1 when there is any.

  synth --out DIR [--line 1|2] [--split NAME] [--count N] [--seed S]
      Writes a deterministic synthetic PCB-AoI-like split (Ianvs layout: index.txt, JPEGImages/,
      Annotations/) into DIR. Line 1 and line 2 are two production lines that look different.
      Defaults: --line 1 --split train_data --count 240 --seed 1. The same seed gives
      byte-identical files. The last stdout line is JSON: {"index", "images", "boxes"}.`;

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
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      dir: { type: 'string' },
      url: { type: 'string' },
    },
  });
  if (values.help) return help();
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0 || !(name in PUBLIC_DATASETS)) {
    throw new UsageError(`pull expects one dataset name; known: ${Object.keys(PUBLIC_DATASETS).join(', ')}`);
  }
  const url = values.url ?? (process.env.EDGE_STL_PCB_AOI_URL || undefined);
  if (url !== undefined && !/^https?:\/\//.test(url))
    throw new UsageError(`--url must be an http:// or https:// URL, got "${url}"`);
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
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, classes: { type: 'string' } },
  });
  if (values.help) return help();
  if (positionals.length !== 1) throw new UsageError('check expects one DIR or INDEX');
  const classes = values.classes
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (classes !== undefined && classes.length === 0)
    throw new UsageError('--classes expects a comma-separated list of class names');
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
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      out: { type: 'string' },
      line: { type: 'string' },
      split: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.help) return help();
  if (positionals.length > 0) throw new UsageError('synth takes no positional arguments');
  if (!values.out) throw new UsageError('synth needs --out DIR');
  const line = (numberFlag('line', values.line, { min: 1, max: 2 }) ?? 1) as 1 | 2;
  const split = values.split ?? 'train_data';
  if (!/^[A-Za-z0-9_-]+$/.test(split))
    throw new UsageError(`--split may use letters, digits, _ and - only, got "${split}"`);
  const result = await synthesizeDataset({
    out: resolve(values.out),
    line,
    split,
    count: numberFlag('count', values.count, { min: 1 }) ?? 240,
    seed: numberFlag('seed', values.seed, { min: 0 }) ?? 1,
  });
  console.log(JSON.stringify({ index: result.indexPath, images: result.images, boxes: result.boxes }));
  return 0;
}

function help(): number {
  console.log(usage);
  return 0;
}

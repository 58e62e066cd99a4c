import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { eachLimit } from '../each-limit.js';
import { CorruptImageError, verifyImage, type VerifiedImage } from '../image/index.js';
import { IANVS_PCB_AOI_CLASSES } from '../metrics/ianvs-f1.js';
import { DatasetError } from './dataset-error.js';
import { readIndexLines, type IndexLine } from './index-file.js';
import type { VocAnnotation } from './types.js';
import { readVocFile } from './voc.js';

/** One fault found by {@link checkDataset}: the file at fault and what is wrong with it. */
export interface DatasetProblem {
  file: string;
  message: string;
}

/** What {@link checkDataset} found in one `index.txt`. */
export interface IndexCheckReport {
  index: string;
  images: number;
  /** Lines that name an annotation. */
  annotated: number;
  boxes: number;
  /** Boxes per class name, known or not. */
  perClass: Record<string, number>;
  problems: DatasetProblem[];
}

export interface CheckDatasetOptions {
  /** Class names an annotation may use; default the PCB-AoI two. */
  classes?: readonly string[];
  /** Images decoded at once. */
  concurrency?: number;
}

/**
 * The `index.txt` files `target` stands for: the file itself, `DIR/index.txt`, or a dataset root's
 * splits (`DIR/<split>/index.txt`, e.g. `train_data` and `test_data`).
 */
export async function findIndexFiles(target: string): Promise<string[]> {
  const path = resolve(target);
  const info = await stat(path).catch(() => null);
  if (!info) throw new DatasetError('DATASET_FILE_MISSING', `${target} does not exist`, { file: target });
  if (info.isFile()) return [path];
  if (await isFile(join(path, 'index.txt'))) return [join(path, 'index.txt')];
  const splits: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.isDirectory() && (await isFile(join(path, entry.name, 'index.txt'))))
      splits.push(join(path, entry.name, 'index.txt'));
  }
  if (splits.length === 0) {
    throw new DatasetError(
      'DATASET_FILE_MISSING',
      `${target} holds no index.txt, neither at its top nor in a split directory (train_data/, test_data/)`,
      { file: target },
    );
  }
  return splits;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

/**
 * Checks one Ianvs index without stopping at the first fault: every image decodes completely,
 * every annotation parses, its size is the image's, its boxes lie inside the image and its
 * classes are known. Each problem names the file at fault.
 */
export async function checkIndex(
  indexPath: string,
  options: CheckDatasetOptions = {},
): Promise<IndexCheckReport> {
  const known = new Set(options.classes ?? IANVS_PCB_AOI_CLASSES);
  const report: IndexCheckReport = {
    index: indexPath,
    images: 0,
    annotated: 0,
    boxes: 0,
    perClass: {},
    problems: [],
  };
  let lines: IndexLine[];
  try {
    lines = await readIndexLines(indexPath);
  } catch (err) {
    if (!(err instanceof DatasetError)) throw err;
    report.problems.push({ file: indexPath, message: err.message });
    return report;
  }
  const baseDir = dirname(resolve(indexPath));
  const problem = (file: string, message: string): void => void report.problems.push({ file, message });
  await eachLimit(lines, options.concurrency ?? 4, async (line) => {
    const imagePath = resolve(baseDir, line.image);
    report.images += 1;
    const image = await verifyImage(imagePath).catch((err: unknown) => {
      if (!(err instanceof CorruptImageError)) throw err;
      problem(imagePath, `${indexPath}:${line.line}: ${err.message}`);
      return null;
    });
    if (line.annotation === undefined) return;
    report.annotated += 1;
    const annotationPath = resolve(baseDir, line.annotation);
    const annotation = await readVocFile(annotationPath).catch((err: unknown) => {
      if (!(err instanceof DatasetError)) throw err;
      problem(annotationPath, `${indexPath}:${line.line}: ${err.message}`);
      return null;
    });
    if (!annotation) return;
    for (const fault of annotationFaults(annotation, image, known))
      problem(annotationPath, `${annotationPath}: ${fault}`);
    for (const obj of annotation.objects) {
      report.boxes += 1;
      report.perClass[obj.name] = (report.perClass[obj.name] ?? 0) + 1;
    }
  });
  // Workers finish out of order; a stable report reads better and diffs cleanly.
  report.problems.sort((a, b) => a.file.localeCompare(b.file) || a.message.localeCompare(b.message));
  return report;
}

/** Faults of a parsed annotation against its decoded image (null: the image did not decode). */
function annotationFaults(
  annotation: VocAnnotation,
  image: VerifiedImage | null,
  known: ReadonlySet<string>,
): string[] {
  const faults: string[] = [];
  const width = image?.width ?? annotation.width;
  const height = image?.height ?? annotation.height;
  if (image && (annotation.width !== image.width || annotation.height !== image.height)) {
    faults.push(
      `<size> says ${annotation.width}x${annotation.height}, the image is ${image.width}x${image.height}`,
    );
  }
  annotation.objects.forEach((obj, i) => {
    const where = `<object> #${i + 1} (${obj.name})`;
    if (!known.has(obj.name)) faults.push(`${where}: unknown class; known: ${[...known].join(', ')}`);
    if (obj.xmin < 0 || obj.ymin < 0 || obj.xmax > width || obj.ymax > height) {
      faults.push(
        `${where}: box (${obj.xmin}, ${obj.ymin}, ${obj.xmax}, ${obj.ymax}) lies outside the ${width}x${height} image`,
      );
    }
  });
  return faults;
}

/** {@link checkIndex} over every index {@link findIndexFiles} finds for `target`. */
export async function checkDataset(
  target: string,
  options: CheckDatasetOptions = {},
): Promise<IndexCheckReport[]> {
  const reports: IndexCheckReport[] = [];
  for (const index of await findIndexFiles(target)) reports.push(await checkIndex(index, options));
  return reports;
}

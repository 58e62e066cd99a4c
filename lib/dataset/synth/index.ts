import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../../each-limit.js';
import sharp from 'sharp';
import { makeRng, seedFrom } from '../../random.js';
import { formatVoc } from '../voc.js';
import { drawPcbScene } from './pcb-scene.js';
import { DEFECT_CLASSES, PRODUCTION_LINES, type ProductionLine } from './production-line.js';

export { DEFECT_CLASSES, PRODUCTION_LINES, type ProductionLine } from './production-line.js';

export interface SynthOptions {
  /** The split's directory: index.txt, JPEGImages/ and Annotations/ are written in it. */
  out: string;
  line: 1 | 2;
  /** Split name, part of every file name and of each image's seed (train_data, test_data, ...). */
  split: string;
  count: number;
  seed: number;
  width?: number;
  height?: number;
}

export interface SynthResult {
  indexPath: string;
  images: number;
  boxes: number;
  /** Boxes per class. */
  classes: Record<string, number>;
}

/** Images encoded at once: the JS drawing of one overlaps libvips encoding others. */
const CONCURRENCY = 4;

/**
 * Writes a deterministic synthetic PCB-AoI-like split in the Ianvs layout. Each image's content
 * depends only on (seed, line, split, its number), so the same seed gives byte-identical files,
 * a larger count only adds images, and two splits never share an image.
 */
export async function synthesizeDataset(options: SynthOptions): Promise<SynthResult> {
  const line = PRODUCTION_LINES[options.line];
  if (!line) throw new Error(`unknown production line ${String(options.line)}; valid: 1, 2`);
  if (!/^[A-Za-z0-9_-]+$/.test(options.split))
    throw new Error(`split name "${options.split}" may use letters, digits, _ and - only`);
  await mkdir(join(options.out, 'JPEGImages'), { recursive: true });
  await mkdir(join(options.out, 'Annotations'), { recursive: true });
  const written = await mapLimit(
    Array.from({ length: options.count }, (_, i) => i),
    CONCURRENCY,
    (i) => writeImage(options, line, i),
  );
  const classes: Record<string, number> = Object.fromEntries(DEFECT_CLASSES.map((c) => [c, 0]));
  for (const names of written) for (const name of names.objects) classes[name] += 1;
  const indexPath = join(options.out, 'index.txt');
  await writeFile(indexPath, written.map((w) => w.indexLine).join('\n') + '\n');
  return {
    indexPath,
    images: written.length,
    boxes: Object.values(classes).reduce((a, b) => a + b, 0),
    classes,
  };
}

async function writeImage(
  options: SynthOptions,
  line: ProductionLine,
  i: number,
): Promise<{ indexLine: string; objects: string[] }> {
  const width = options.width ?? 600;
  const height = options.height ?? 600;
  const rng = makeRng(seedFrom(`${options.seed}/line${line.id}/${options.split}/${i}`));
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng();
  const { raster, objects } = drawPcbScene(line, { width, height }, rng);

  // The camera: uneven light (a tilted plane plus a soft spot), sensor noise, focus, JPEG.
  const [lo, hi] = line.lightRange;
  const angle = between(0, 2 * Math.PI);
  const spot = { x: between(0, width), y: between(0, height), r: between(0.4, 0.9) * width };
  // gain(x, y) = gainX[x] + gainY[y]: a tilt along `angle` plus a soft spot, from lo to hi.
  const mid = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  const axis = (n: number, cos: number, centre: number): Float32Array => {
    const g = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const u = (p / n - 0.5) * cos * 1.4;
      g[p] = mid / 2 + half * (0.6 * u + 0.4 * (Math.exp(-(((p - centre) / spot.r) ** 2)) - 0.5));
    }
    return g;
  };
  raster.expose(
    axis(width, Math.cos(angle), spot.x),
    axis(height, Math.sin(angle), spot.y),
    line.noise,
    Math.floor(rng() * 1_000_000),
  );
  const sigma = between(line.blur[0], line.blur[1]);
  const quality = Math.round(between(line.jpegQuality[0], line.jpegQuality[1]));

  const name = `line${line.id}-${options.split}-${String(i).padStart(4, '0')}`;
  let image = sharp(raster.data, { raw: { width, height, channels: 3 } });
  if (sigma >= 0.3) image = image.blur(sigma);
  const jpeg = await image.jpeg({ quality }).toBuffer();
  await writeFile(join(options.out, 'JPEGImages', `${name}.jpeg`), jpeg);
  await writeFile(
    join(options.out, 'Annotations', `${name}.xml`),
    formatVoc({ filename: `${name}.jpeg`, width, height, depth: 3, objects }),
  );
  return {
    indexLine: `./JPEGImages/${name}.jpeg ./Annotations/${name}.xml`,
    objects: objects.map((o) => o.name),
  };
}

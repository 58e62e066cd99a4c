import sharp from 'sharp';
import type { BaseModel, Detection } from '../lib/algorithm-api/index.js';
import { EdgeStlError } from '../lib/errors/index.js';

/** A model that failed its smoke test; `message` says how. */
export class SmokeTestError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_SMOKE_TEST_FAILED', message, options);
  }
}

const SMOKE_WIDTH = 320;
const SMOKE_HEIGHT = 240;
let smokeImage: Promise<Buffer> | null = null;

/** The built-in test image: a plain background with two boxes, encoded as JPEG once per process. */
export function smokeTestImage(): Promise<Buffer> {
  smokeImage ??= sharp({
    create: { width: SMOKE_WIDTH, height: SMOKE_HEIGHT, channels: 3, background: { r: 90, g: 120, b: 90 } },
  })
    .composite([
      { ...box(80, 60, { r: 220, g: 40, b: 40 }), left: 40, top: 50 },
      { ...box(60, 100, { r: 30, g: 30, b: 200 }), left: 200, top: 90 },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
  return smokeImage;
}

/** A solid patch as a sharp composite input. */
function box(width: number, height: number, color: { r: number; g: number; b: number }) {
  const input = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) input.set([color.r, color.g, color.b], i * 3);
  return { input, raw: { width, height, channels: 3 as const } };
}

/**
 * Runs the model once on the built-in image and checks the output is well formed: an array of
 * detections with a known class, a score in [0, 1] and a finite box inside the image. Throws
 * {@link SmokeTestError} when it throws, answers garbage or takes longer than `timeoutMs`.
 */
export async function smokeTest(
  model: BaseModel,
  classes: readonly string[],
  timeoutMs: number,
): Promise<Detection[]> {
  const image = await smokeTestImage();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SmokeTestError(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let detections: unknown;
  try {
    detections = await Promise.race([model.detect({ name: 'smoke-test.jpg', data: image }), timeout]);
  } catch (err) {
    if (err instanceof SmokeTestError) throw err;
    throw new SmokeTestError(`the model threw on the test image: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  const problem = checkDetections(detections, classes);
  if (problem) throw new SmokeTestError(`malformed output on the test image: ${problem}`);
  return detections as Detection[];
}

/** Why `value` is not a well-formed detection list, or null when it is. */
export function checkDetections(value: unknown, classes: readonly string[]): string | null {
  if (!Array.isArray(value)) return 'not an array';
  const tolerance = 1; // rounding may put an edge one pixel out
  for (const [i, d] of value.entries()) {
    const det = d as Partial<Detection> | null;
    if (!det || typeof det !== 'object') return `detection ${i} is not an object`;
    if (typeof det.class !== 'string' || !classes.includes(det.class))
      return `detection ${i} has unknown class ${String(det.class)}`;
    if (typeof det.score !== 'number' || !(det.score >= 0 && det.score <= 1))
      return `detection ${i} has score ${String(det.score)}`;
    const b = det.box;
    if (!b || ![b.xmin, b.ymin, b.xmax, b.ymax].every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return `detection ${i} has a malformed box`;
    }
    if (b.xmin > b.xmax || b.ymin > b.ymax) return `detection ${i} has an inverted box`;
    if (
      b.xmin < -tolerance ||
      b.ymin < -tolerance ||
      b.xmax > SMOKE_WIDTH + tolerance ||
      b.ymax > SMOKE_HEIGHT + tolerance
    ) {
      return `detection ${i} has a box outside the image`;
    }
  }
  return null;
}

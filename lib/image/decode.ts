import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import type { ImageSource } from '../algorithm-api/types.js';
import { CorruptImageError } from './corrupt-image-error.js';

/** Formats the detector accepts. */
export const SUPPORTED_IMAGE_FORMATS = ['jpeg', 'png'] as const;

/** An RGB image, interleaved bytes, row-major (`height * width * 3`). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A decoded image resized so that its short side is a given length. */
export interface ResizedImage extends RgbImage {
  /** Name for a `predict_dict` (basename of the path, or the given upload name). */
  name: string;
  originalWidth: number;
  originalHeight: number;
  /** resized / original, per axis (Ianvs's integer frame arithmetic can differ by < 1 px). */
  scaleX: number;
  scaleY: number;
}

/** The name an image carries in a `predict_dict`: the basename of its path. */
export function imageName(source: ImageSource): string {
  return typeof source === 'string' ? basename(source) : source.name;
}

async function readSource(source: ImageSource): Promise<{ label: string; bytes: Buffer }> {
  if (typeof source !== 'string') return { label: source.name, bytes: source.data };
  try {
    return { label: source, bytes: await readFile(source) };
  } catch (err) {
    throw new CorruptImageError(source, 'file cannot be read', { cause: err });
  }
}

/**
 * Size of the image once its short side is `shortSide`, with Ianvs's integer arithmetic
 * (`new_w = short * w // h`), so that our resized frame is exactly the `predict_dict` frame.
 */
export function resizedSize(
  width: number,
  height: number,
  shortSide: number,
): { width: number; height: number } {
  return height < width
    ? { width: Math.floor((shortSide * width) / height), height: shortSide }
    : { width: shortSide, height: Math.floor((shortSide * height) / width) };
}

/**
 * Width and height from the image's own header (never from what a record claims about it).
 * Anything but a JPEG or PNG with a size raises CorruptImageError naming `label`.
 */
export async function imageSize(bytes: Buffer, label: string): Promise<{ width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new CorruptImageError(label, 'not a readable image', { cause: err });
  }
  const format = meta.format ?? 'unknown';
  if (!(SUPPORTED_IMAGE_FORMATS as readonly string[]).includes(format) || !meta.width || !meta.height) {
    throw new CorruptImageError(label, `unsupported format "${format}" (expected JPEG or PNG)`);
  }
  return { width: meta.width, height: meta.height };
}

/**
 * Decodes a JPEG or PNG (path or bytes) to RGB and resizes it so the short side is `shortSide`
 * (bilinear, as Ianvs's cv2 pre-processing). Anything else, or broken bytes, raises
 * CorruptImageError naming the file.
 */
export async function loadImage(source: ImageSource, shortSide: number): Promise<ResizedImage> {
  const { label, bytes } = await readSource(source);
  const meta = await imageSize(bytes, label);
  const size = resizedSize(meta.width, meta.height, shortSide);
  try {
    const { data, info } = await sharp(bytes)
      .removeAlpha()
      .toColourspace('srgb')
      .resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return {
      name: imageName(source),
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      originalWidth: meta.width,
      originalHeight: meta.height,
      scaleX: info.width / meta.width,
      scaleY: info.height / meta.height,
    };
  } catch (err) {
    throw new CorruptImageError(label, 'image data is corrupt', { cause: err });
  }
}

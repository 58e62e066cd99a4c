import sharp, { type Metadata } from 'sharp';
import { resizedSize } from '../lib/image/decode.js';
import { AgentError } from './agent-error.js';

/** Content types `/v1/infer` accepts as a raw body or a multipart file. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png'] as const;

/** An image as received, checked to be a JPEG or PNG with sane dimensions. */
export interface ImageInput {
  data: Buffer;
  format: 'jpeg' | 'png';
  width: number;
  height: number;
}

/** What one request may cost: checked on the header, before any decoding. */
export interface ImageLimits {
  /** Long side / short side. */
  maxAspectRatio: number;
  /** Decoded pixels (sharp's `limitInputPixels`). */
  maxInputPixels: number;
}

/**
 * Reads the image header: cheap, and enough to refuse garbage (400 `CORRUPT_IMAGE`), other
 * formats hiding behind an image content type (415 `UNSUPPORTED_MEDIA_TYPE`) and shapes whose
 * decode or resize would cost more than `limits` allow (400 `IMAGE_TOO_LARGE`, `IMAGE_SHAPE`)
 * before the model sees them. A truncated body passes the header check; {@link decodesCleanly}
 * tells it apart when the model then fails.
 */
export async function inspectImage(data: Buffer, limits: ImageLimits): Promise<ImageInput> {
  if (data.length === 0) throw new AgentError(400, 'CORRUPT_IMAGE', 'the request body is empty');
  let meta: Metadata;
  try {
    meta = await sharp(data).metadata();
  } catch (err) {
    throw new AgentError(400, 'CORRUPT_IMAGE', 'the body is not a readable image', { cause: err });
  }
  if (meta.format !== 'jpeg' && meta.format !== 'png') {
    throw new AgentError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `images must be JPEG or PNG, got ${meta.format ?? 'unknown'}`,
    );
  }
  if (!meta.width || !meta.height) throw new AgentError(400, 'CORRUPT_IMAGE', 'the image has no dimensions');
  const { width, height } = meta;
  if (width * height > limits.maxInputPixels) {
    throw new AgentError(
      400,
      'IMAGE_TOO_LARGE',
      `the image is ${width}x${height}, over the limit of ${limits.maxInputPixels} pixels`,
    );
  }
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > limits.maxAspectRatio) {
    throw new AgentError(
      400,
      'IMAGE_SHAPE',
      `the image is ${width}x${height}: aspect ratio ${ratio.toFixed(1)} over the limit of ${limits.maxAspectRatio}`,
    );
  }
  return { data, format: meta.format, width, height };
}

/**
 * Refuses (400 `IMAGE_SHAPE`) an image whose resized size, short side `shortSide` as the model
 * resizes it, would have more than `maxPixels` pixels: the model's work grows with it.
 */
export function checkResizedPixels(image: ImageInput, shortSide: number, maxPixels: number): void {
  const size = resizedSize(image.width, image.height, shortSide);
  if (size.width * size.height > maxPixels) {
    throw new AgentError(
      400,
      'IMAGE_SHAPE',
      `the image is ${image.width}x${image.height}: resized to ${size.width}x${size.height} it is over the limit of ${maxPixels} pixels`,
    );
  }
}

/** True when the whole image decodes without error (not just its header). */
export async function decodesCleanly(data: Buffer, maxInputPixels: number): Promise<boolean> {
  try {
    await sharp(data, { failOn: 'truncated', limitInputPixels: maxInputPixels }).raw().toBuffer();
    return true;
  } catch {
    return false;
  }
}

/** The image as JPEG, the format samples are stored in (`<id>.jpeg`). */
export async function toJpeg(image: ImageInput, maxInputPixels: number): Promise<Buffer> {
  if (image.format === 'jpeg') return image.data;
  return sharp(image.data, { limitInputPixels: maxInputPixels }).jpeg({ quality: 92 }).toBuffer();
}

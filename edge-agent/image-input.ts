import sharp, { type Metadata } from 'sharp';
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

/**
 * Reads the image header: cheap, and enough to refuse garbage (400 `CORRUPT_IMAGE`) and other
 * formats hiding behind an image content type (415 `UNSUPPORTED_MEDIA_TYPE`) before the model
 * sees them. A truncated body passes the header check; {@link decodesCleanly} tells it apart when
 * the model then fails.
 */
export async function inspectImage(data: Buffer): Promise<ImageInput> {
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
  return { data, format: meta.format, width: meta.width, height: meta.height };
}

/** True when the whole image decodes without error (not just its header). */
export async function decodesCleanly(data: Buffer): Promise<boolean> {
  try {
    await sharp(data, { failOn: 'truncated' }).raw().toBuffer();
    return true;
  } catch {
    return false;
  }
}

/** The image as JPEG, the format samples are stored in (`<id>.jpeg`). */
export async function toJpeg(image: ImageInput): Promise<Buffer> {
  if (image.format === 'jpeg') return image.data;
  return sharp(image.data).jpeg({ quality: 92 }).toBuffer();
}

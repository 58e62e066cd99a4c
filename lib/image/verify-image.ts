import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { CorruptImageError } from './corrupt-image-error.js';
import { SUPPORTED_IMAGE_FORMATS } from './decode.js';

/** What a full decode found out about an image file. */
export interface VerifiedImage {
  format: (typeof SUPPORTED_IMAGE_FORMATS)[number];
  width: number;
  height: number;
}

/**
 * Decodes every pixel of a JPEG or PNG file, which a header read does not: a truncated or
 * corrupt body fails here (libvips warnings count as errors). Raises CorruptImageError naming it.
 */
export async function verifyImage(path: string): Promise<VerifiedImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new CorruptImageError(path, 'file cannot be read', { cause: err });
  }
  let format: string | undefined;
  try {
    format = (await sharp(bytes).metadata()).format;
  } catch (err) {
    throw new CorruptImageError(path, 'not a readable image', { cause: err });
  }
  if (!(SUPPORTED_IMAGE_FORMATS as readonly string[]).includes(format ?? '')) {
    throw new CorruptImageError(path, `unsupported format "${format ?? 'unknown'}" (expected JPEG or PNG)`);
  }
  try {
    const { info } = await sharp(bytes, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
    return { format: format as VerifiedImage['format'], width: info.width, height: info.height };
  } catch (err) {
    throw new CorruptImageError(path, `image data is corrupt (${(err as Error).message.trim()})`, {
      cause: err,
    });
  }
}

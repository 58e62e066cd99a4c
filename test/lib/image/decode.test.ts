import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CorruptImageError, loadImage, resizedSize } from '../../../lib/image/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-stl-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function solid(
  path: string,
  width: number,
  height: number,
  format: 'jpeg' | 'png' | 'webp',
): Promise<void> {
  const img = sharp({ create: { width, height, channels: 3, background: { r: 10, g: 200, b: 30 } } });
  await (format === 'png' ? img.png() : format === 'webp' ? img.webp() : img.jpeg()).toFile(path);
}

describe('loadImage', () => {
  it('decodes a JPEG and resizes its short side, in the Ianvs frame', async () => {
    const path = join(dir, 'a.jpeg');
    await solid(path, 800, 600, 'jpeg');
    const img = await loadImage(path, 640);
    expect([img.width, img.height]).toEqual([853, 640]);
    expect(img.data.length).toBe(853 * 640 * 3);
    expect(img.name).toBe('a.jpeg');
    expect([img.originalWidth, img.originalHeight]).toEqual([800, 600]);
    expect(img.scaleY).toBeCloseTo(640 / 600, 6);
    // Colour survives decoding (JPEG is lossy: allow a few levels).
    expect(Math.abs(img.data[1] - 200)).toBeLessThan(6);
  });

  it('decodes PNG bytes with an upload name', async () => {
    const path = join(dir, 'b.png');
    await solid(path, 60, 90, 'png');
    const img = await loadImage({ name: 'upload.png', data: await sharp(path).png().toBuffer() }, 96);
    expect([img.width, img.height, img.name]).toEqual([96, 144, 'upload.png']);
  });

  it('raises CorruptImageError naming the file for garbage bytes', async () => {
    const path = join(dir, 'broken.jpeg');
    await writeFile(path, Buffer.from('this is not a jpeg'));
    const err = await loadImage(path, 640).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptImageError);
    expect((err as CorruptImageError).code).toBe('CORRUPT_IMAGE');
    expect((err as CorruptImageError).message).toContain('broken.jpeg');
  });

  it('raises CorruptImageError for a truncated JPEG', async () => {
    const good = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    const err = await loadImage({ name: 'cut.jpeg', data: good.subarray(0, 60) }, 64).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptImageError);
    expect((err as Error).message).toContain('cut.jpeg');
  });

  it('refuses formats other than JPEG and PNG', async () => {
    const path = join(dir, 'c.webp');
    await solid(path, 32, 32, 'webp');
    await expect(loadImage(path, 32)).rejects.toThrow(/c\.webp.*unsupported format "webp"/);
  });

  it('names a missing file', async () => {
    await expect(loadImage(join(dir, 'missing.png'), 32)).rejects.toThrow(/missing\.png/);
  });

  it('computes the frame with integer arithmetic', () => {
    expect(resizedSize(600, 600, 640)).toEqual({ width: 640, height: 640 });
    expect(resizedSize(600, 800, 640)).toEqual({ width: 640, height: 853 });
    expect(resizedSize(640, 480, 640)).toEqual({ width: 853, height: 640 });
  });
});

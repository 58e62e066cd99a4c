import { makeRng } from '../../random.js';

/** An RGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/**
 * A small RGB raster with the few primitives a PCB scene needs: axis-aligned rectangles, discs
 * and rings. Coordinates are pixels; anything outside the raster is clipped.
 */
export class Raster {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      let o = (yy * this.width + x0) * 3;
      for (let xx = x0; xx < x1; xx++, o += 3) {
        this.data[o] = c[0];
        this.data[o + 1] = c[1];
        this.data[o + 2] = c[2];
      }
    }
  }

  /** A filled ellipse; with `inner` > 0 only the band between `inner` and 1 (a ring). */
  fillEllipse(cx: number, cy: number, rx: number, ry: number, c: Rgb, inner = 0): void {
    const y0 = Math.max(0, Math.floor(cy - ry));
    const y1 = Math.min(this.height - 1, Math.ceil(cy + ry));
    const x0 = Math.max(0, Math.floor(cx - rx));
    const x1 = Math.min(this.width - 1, Math.ceil(cx + rx));
    const inner2 = inner * inner;
    for (let yy = y0; yy <= y1; yy++) {
      const dy = (yy + 0.5 - cy) / ry;
      for (let xx = x0; xx <= x1; xx++) {
        const dx = (xx + 0.5 - cx) / rx;
        const d2 = dx * dx + dy * dy;
        if (d2 > 1 || d2 < inner2) continue;
        const o = (yy * this.width + xx) * 3;
        this.data[o] = c[0];
        this.data[o + 1] = c[1];
        this.data[o + 2] = c[2];
      }
    }
  }

  /** A rectangle outline `t` pixels thick. */
  strokeRect(x: number, y: number, w: number, h: number, t: number, c: Rgb): void {
    this.fillRect(x, y, w, t, c);
    this.fillRect(x, y + h - t, w, t, c);
    this.fillRect(x, y, t, h, c);
    this.fillRect(x + w - t, y, t, h, c);
  }

  /**
   * Camera effects in one pass: a light field that is the sum of a row term and a column term
   * (`gainX[x] + gainY[y]`, cheap yet enough for tilted and spot light), and sensor noise read from
   * a fixed noise tile at a per-image offset, clamped to 0..255.
   */
  expose(gainX: Float32Array, gainY: Float32Array, noise: number, offset: number): void {
    const { width, height, data } = this;
    const tile = noiseTile();
    for (let y = 0; y < height; y++) {
      const gy = gainY[y];
      let o = y * width * 3;
      let t = (offset + y * 7919) % NOISE_TILE;
      for (let x = 0; x < width; x++, o += 3) {
        const g = gainX[x] + gy;
        const n = tile[t] * noise;
        t = t + 1 === NOISE_TILE ? 0 : t + 1;
        for (let k = 0; k < 3; k++) {
          const v = data[o + k] * g + n;
          data[o + k] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  }
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t].map(
    Math.round,
  ) as unknown as Rgb;
}

export function shade(c: Rgb, delta: number): Rgb {
  return c.map((v) => Math.max(0, Math.min(255, Math.round(v + delta)))) as unknown as Rgb;
}

/** Length of the shared noise tile: a prime, so rows read it at unrelated offsets. */
const NOISE_TILE = 1_048_573;
let tileCache: Float32Array | null = null;

/** Unit-variance noise, the same on every run (fixed seed), made once per process. */
function noiseTile(): Float32Array {
  if (tileCache) return tileCache;
  const rng = makeRng(0x5eed);
  const tile = new Float32Array(NOISE_TILE);
  // The sum of three uniforms, centred and scaled: close enough to gaussian for sensor noise.
  for (let i = 0; i < NOISE_TILE; i++) tile[i] = (rng() + rng() + rng() - 1.5) * 2;
  tileCache = tile;
  return tile;
}

import type { VocObject } from '../types.js';
import { DEFECT_CLASSES, type ProductionLine } from './production-line.js';
import { mix, Raster, shade, type Rgb } from './raster.js';

/** A drawn board: the raster (before camera effects) and its defect boxes. */
export interface PcbScene {
  raster: Raster;
  objects: VocObject[];
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Which side of its IC a leg sticks out of: its outer tip is away from the body. */
type Side = 'left' | 'right' | 'top' | 'bottom';

interface Leg extends Rect {
  side: Side;
}

const GOLD_RING: Rgb = [196, 164, 78];
const SILK: Rgb = [232, 232, 226];
const BODY: Rgb[] = [
  [52, 48, 56],
  [58, 46, 62],
  [62, 52, 40],
  [48, 50, 52],
];

function overlaps(a: Rect, b: Rect, margin: number): boolean {
  return (
    a.x < b.x + b.w + margin &&
    b.x < a.x + a.w + margin &&
    a.y < b.y + b.h + margin &&
    b.y < a.y + a.h + margin
  );
}

/**
 * Draws one PCB-AoI-like board: ICs with legs on two or four sides, traces, vias, passives and
 * silkscreen, and defects on some legs: `Bad_podu` (a grey, shapeless solder joint) and
 * `Bad_qiaojiao` (a lifted leg: its tip casts a dark shadow). Distractors of the same colours lie
 * off the legs, so colour alone does not give a defect away.
 */
export function drawPcbScene(
  line: ProductionLine,
  size: { width: number; height: number },
  rng: () => number,
): PcbScene {
  const { width, height } = size;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng();
  const [zLo, zHi] = pick(line.zooms);
  const zoom = between(zLo, zHi);
  const mask = shade(pick(line.masks), between(-6, 6));
  const raster = new Raster(width, height, mask);
  const taken: Rect[] = [];

  // Traces: axis-aligned copper under the mask, a little lighter than it.
  const trace = shade(mask, 28);
  for (let i = 0, n = 6 + Math.floor(rng() * 7); i < n; i++) {
    const t = Math.max(1, Math.round(between(2, 4) * zoom));
    const x = between(0, width);
    const y = between(0, height);
    const len = between(60, 320) * zoom;
    if (rng() < 0.5) {
      raster.fillRect(x, y, len, t, trace);
      raster.fillRect(x + len - t, y, t, between(20, 200) * zoom, trace);
    } else {
      raster.fillRect(x, y, t, len, trace);
      raster.fillRect(x, y + len - t, between(20, 200) * zoom, t, trace);
    }
  }

  // ICs first: they own the board's middle, everything else fills around them.
  const legs: Leg[] = [];
  for (let i = 0, want = 1 + Math.floor(rng() * 3); i < want; i++) {
    for (let attempt = 0; attempt < 30; attempt++) {
      const ic = placeIc(raster, rng, zoom, line, taken, legs);
      if (ic) break;
    }
  }

  // Vias, passives and silkscreen where nothing is.
  const free = (r: Rect) => !taken.some((t) => overlaps(t, r, 4));
  for (let i = 0, n = 10 + Math.floor(rng() * 10); i < n; i++) {
    const r = Math.max(3, 6 * zoom);
    const c = { x: between(r, width - r), y: between(r, height - r) };
    if (!free({ x: c.x - r, y: c.y - r, w: 2 * r, h: 2 * r })) continue;
    raster.fillEllipse(c.x, c.y, r, r, GOLD_RING, 0.5);
  }
  for (let i = 0, n = 4 + Math.floor(rng() * 5); i < n; i++) {
    const horizontal = rng() < 0.5;
    const long = 26 * zoom;
    const short = 13 * zoom;
    const r: Rect = {
      x: between(0, width - long),
      y: between(0, height - long),
      w: horizontal ? long : short,
      h: horizontal ? short : long,
    };
    if (!free(r)) continue;
    taken.push(r);
    const end = shade(line.leg, -10);
    raster.fillRect(r.x, r.y, r.w, r.h, end);
    const inset = (horizontal ? r.w : r.h) * 0.28;
    if (horizontal) raster.fillRect(r.x + inset, r.y, r.w - 2 * inset, r.h, [196, 160, 120]);
    else raster.fillRect(r.x, r.y + inset, r.w, r.h - 2 * inset, [196, 160, 120]);
  }
  for (let i = 0, n = 3 + Math.floor(rng() * 4); i < n; i++) {
    const boxes = 2 + Math.floor(rng() * 3);
    const s = 9 * zoom;
    const r: Rect = {
      x: between(0, width - boxes * s * 1.4),
      y: between(0, height - s),
      w: boxes * s * 1.4,
      h: s,
    };
    if (!free(r)) continue;
    for (let b = 0; b < boxes; b++) raster.strokeRect(r.x + b * s * 1.4, r.y, s, s, 1, SILK);
  }

  // Distractors: a shadow and a grey smear off the legs, the colours of the two defects.
  for (let i = 0, n = Math.floor(rng() * 3); i < n; i++) {
    const s = 12 * zoom;
    const r: Rect = { x: between(0, width - s), y: between(0, height - s), w: s, h: s };
    if (!free(r)) continue;
    if (rng() < 0.5) raster.fillRect(r.x, r.y, r.w, r.h, [28, 28, 30]);
    else raster.fillEllipse(r.x + s / 2, r.y + s / 2, s * 0.8, s * 0.5, [150, 150, 144]);
  }

  // Defects on some legs; the box is the whole leg, as a person marks it.
  const objects: VocObject[] = [];
  const defects = Math.min(legs.length, Math.floor(rng() * 7));
  const order = legs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const index of order.slice(0, defects)) {
    const leg = legs[index];
    const name = rng() < 0.5 ? DEFECT_CLASSES[0] : DEFECT_CLASSES[1];
    if (name === 'Bad_podu') drawPoorSolder(raster, leg, line, rng);
    else drawLiftedLeg(raster, leg, line);
    objects.push({
      name,
      xmin: Math.max(1, Math.round(leg.x) + 1),
      ymin: Math.max(1, Math.round(leg.y) + 1),
      xmax: Math.min(width, Math.round(leg.x + leg.w)),
      ymax: Math.min(height, Math.round(leg.y + leg.h)),
    });
  }
  return { raster, objects };
}

/** Places one IC (body and legs) where it fits; false when it does not. */
function placeIc(
  raster: Raster,
  rng: () => number,
  zoom: number,
  line: ProductionLine,
  taken: Rect[],
  legs: Leg[],
): boolean {
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng();
  const legLong = between(36, 48) * zoom;
  const legThick = between(11, 14) * zoom;
  const pitch = legThick * between(2.1, 2.5);
  const perSide = 4 + Math.floor(rng() * 4);
  const quad = rng() < 0.3;
  const bodyW = quad ? perSide * pitch + pitch * 0.6 : between(85, 135) * zoom;
  const bodyH = perSide * pitch + pitch * 0.6;
  const reach = legLong;
  const outer: Rect = {
    x: between(reach, raster.width - bodyW - reach),
    y: between(quad ? reach : 2, raster.height - bodyH - (quad ? reach : 2)),
    w: bodyW,
    h: bodyH,
  };
  const footprint: Rect = {
    x: outer.x - reach,
    y: outer.y - (quad ? reach : 0),
    w: bodyW + 2 * reach,
    h: bodyH + (quad ? 2 * reach : 0),
  };
  if (
    footprint.x < 0 ||
    footprint.y < 0 ||
    footprint.x + footprint.w > raster.width ||
    footprint.y + footprint.h > raster.height ||
    taken.some((t) => overlaps(t, footprint, 12))
  )
    return false;
  taken.push(footprint);
  const jitter = () => (rng() - 0.5) * 2 * line.legJitter;
  const legColour = (): Rgb =>
    shade([line.leg[0] + jitter(), line.leg[1] + jitter(), line.leg[2] + jitter()], 0);
  const add = (leg: Leg) => {
    raster.fillRect(leg.x, leg.y, leg.w, leg.h, legColour());
    legs.push(leg);
  };
  for (let k = 0; k < perSide; k++) {
    const y = outer.y + pitch * 0.55 + k * pitch;
    add({ side: 'left', x: outer.x - reach, y, w: legLong, h: legThick });
    add({ side: 'right', x: outer.x + bodyW, y, w: legLong, h: legThick });
  }
  if (quad) {
    for (let k = 0; k < perSide; k++) {
      const x = outer.x + pitch * 0.55 + k * pitch;
      add({ side: 'top', x, y: outer.y - reach, w: legThick, h: legLong });
      add({ side: 'bottom', x, y: outer.y + bodyH, w: legThick, h: legLong });
    }
  }
  const body = shade(BODY[Math.floor(rng() * BODY.length)], (rng() - 0.5) * 12);
  raster.fillRect(outer.x, outer.y, bodyW, bodyH, body);
  const dot = Math.max(2, 5 * zoom);
  raster.fillEllipse(outer.x + dot * 2, outer.y + dot * 2, dot, dot, shade(body, 22));
  raster.strokeRect(outer.x + bodyW * 0.25, outer.y + bodyH * 0.45, 12 * zoom, 8 * zoom, 1, shade(body, 70));
  return true;
}

/** A poor solder joint: the leg's metal is hidden under grey, shapeless solder. */
function drawPoorSolder(raster: Raster, leg: Leg, line: ProductionLine, rng: () => number): void {
  const grey = mix(line.leg, [146, 146, 140], line.defectContrast);
  const along = leg.side === 'left' || leg.side === 'right';
  const start = 0.15 + rng() * 0.25;
  const span = 0.45 + rng() * 0.3;
  if (along) raster.fillRect(leg.x + leg.w * start, leg.y, leg.w * span, leg.h, grey);
  else raster.fillRect(leg.x, leg.y + leg.h * start, leg.w, leg.h * span, grey);
  for (let b = 0; b < 2; b++) {
    const t = start + span * (0.25 + 0.5 * rng());
    const cx = along ? leg.x + leg.w * t : leg.x + leg.w / 2;
    const cy = along ? leg.y + leg.h / 2 : leg.y + leg.h * t;
    const r = Math.min(leg.w, leg.h) * (0.45 + 0.2 * rng());
    raster.fillEllipse(
      cx,
      cy,
      along ? r * 1.4 : r,
      along ? r : r * 1.4,
      shade(grey, -12 * line.defectContrast),
    );
  }
}

/** A lifted leg: its outer tip stands off the pad and casts a dark square shadow. */
function drawLiftedLeg(raster: Raster, leg: Leg, line: ProductionLine): void {
  const dark = mix(line.leg, [30, 30, 32], line.defectContrast);
  const s = Math.min(leg.w, leg.h) * (0.6 + 0.4 * line.defectContrast);
  const inset = Math.min(leg.w, leg.h) * 0.12;
  const cy = leg.y + (leg.h - s) / 2;
  const cx = leg.x + (leg.w - s) / 2;
  if (leg.side === 'left') raster.fillRect(leg.x + inset, cy, s, s, dark);
  else if (leg.side === 'right') raster.fillRect(leg.x + leg.w - s - inset, cy, s, s, dark);
  else if (leg.side === 'top') raster.fillRect(cx, leg.y + inset, s, s, dark);
  else raster.fillRect(cx, leg.y + leg.h - s - inset, s, s, dark);
}

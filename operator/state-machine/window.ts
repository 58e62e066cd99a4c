import type { TimeWindow } from '../../lib/api/v1alpha1/index.js';
import { parseHhMm } from '../../lib/validation/index.js';

const DAY_MS = 86_400_000;

/** Milliseconds since UTC midnight. */
function msOfDay(now: Date): number {
  return now.getTime() % DAY_MS;
}

/**
 * True when `now` (UTC) lies in the daily window [start, end). A window whose end is before its
 * start wraps past midnight (22:00–04:00 holds 23:30 and 01:00). No window means always.
 */
export function inWindow(window: TimeWindow | undefined, now: Date): boolean {
  if (!window) return true;
  const start = parseHhMm(window.start)! * 60_000;
  const end = parseHhMm(window.end)! * 60_000;
  const t = msOfDay(now);
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** Milliseconds until the window next opens (0 when open now). */
export function msUntilWindowOpens(window: TimeWindow | undefined, now: Date): number {
  if (!window || inWindow(window, now)) return 0;
  const start = parseHhMm(window.start)! * 60_000;
  const t = msOfDay(now);
  return start > t ? start - t : DAY_MS - t + start;
}

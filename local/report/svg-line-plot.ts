import { escapeXml } from '../../lib/text/escape-xml.js';
export interface Series {
  name: string;
  color: string;
  points: Array<{ x: number; y: number }>;
}

/**
 * A self-contained SVG line plot (no scripts, no external assets) for metrics in [0, 1] per round.
 * Every point is a `<circle class="point">`, so a browser test can count them.
 */
export function svgLinePlot(
  series: Series[],
  options: { width?: number; height?: number; xLabel: string; yLabel: string },
): string {
  const width = options.width ?? 820;
  const height = options.height ?? 320;
  const pad = { left: 56, right: 200, top: 16, bottom: 44 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const px = (x: number) => pad.left + ((x - xMin) / (xMax - xMin || 1)) * (width - pad.left - pad.right);
  const py = (y: number) =>
    height - pad.bottom - Math.max(0, Math.min(1, y)) * (height - pad.top - pad.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (y) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/><text x="${pad.left - 8}" y="${py(y) + 4}" text-anchor="end" font-size="11">${y.toFixed(2)}</text>`,
    )
    .join('');
  const ticks = [...new Set(xs)]
    .sort((a, b) => a - b)
    .map(
      (x) =>
        `<text x="${px(x)}" y="${height - pad.bottom + 16}" text-anchor="middle" font-size="11">${x}</text>`,
    )
    .join('');
  const lines = series
    .map((s, i) => {
      const pts = s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
      const dots = s.points
        .map(
          (p) =>
            `<circle class="point" data-series="${escapeXml(s.name)}" cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" fill="${s.color}"><title>${escapeXml(s.name)} round ${p.x}: ${p.y.toFixed(4)}</title></circle>`,
        )
        .join('');
      const legendY = pad.top + 16 + i * 18;
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>${dots}<rect x="${width - pad.right + 12}" y="${legendY - 9}" width="12" height="12" fill="${s.color}"/><text x="${width - pad.right + 30}" y="${legendY + 1}" font-size="12">${escapeXml(s.name)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">${grid}${ticks}${lines}<text x="${(pad.left + width - pad.right) / 2}" y="${height - 6}" text-anchor="middle" font-size="12">${escapeXml(options.xLabel)}</text><text x="14" y="${height / 2}" transform="rotate(-90 14 ${height / 2})" text-anchor="middle" font-size="12">${escapeXml(options.yLabel)}</text></svg>`;
}

import { escapeXml } from '../../lib/text/escape-xml.js';
import type { GalleryCrop, GalleryItem, RunSummary } from './run-summary.js';
import { svgLinePlot } from './svg-line-plot.js';

const fmt = (v: number | undefined | null, digits = 4) =>
  v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(digits);

function versionsTable(summary: RunSummary): string {
  const rows = summary.rounds
    .map(
      (
        r,
      ) => `<tr class="round ${escapeXml(r.state.toLowerCase())}"><td>${r.round}</td><td>${escapeXml(r.version)}</td><td>${escapeXml(r.state)}</td>
<td>${fmt(r.f1)}</td><td>${fmt(r.mAP50)}</td><td>${fmt(r.f1Reference)}</td><td>${fmt(r.mAP50Reference)}</td><td>${fmt(r.baselineF1)}</td>
<td>${r.trainSeconds === null ? '–' : r.trainSeconds.toFixed(1)}</td><td>${r.samplesUsed ?? '–'}</td></tr>`,
    )
    .join('\n');
  return `<table id="versions"><thead><tr><th>Round</th><th>Version</th><th>State</th><th>F1, new line</th><th>mAP@0.5, new line</th>
<th>F1, first line</th><th>mAP@0.5, first line</th><th>F1 of the model serving then</th><th>Train s</th><th>Labeled samples</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function samplesPlot(summary: RunSummary): string {
  const max = Math.max(1, ...summary.rounds.map((r) => r.samplesUsed ?? 0));
  const bars = summary.rounds
    .map((r, i) => {
      const h = ((r.samplesUsed ?? 0) / max) * 120;
      return `<rect x="${40 + i * 50}" y="${150 - h}" width="32" height="${h}" fill="#4e79a7"><title>round ${r.round}: ${r.samplesUsed ?? 0}</title></rect><text x="${56 + i * 50}" y="166" font-size="11" text-anchor="middle">r${r.round}</text><text x="${56 + i * 50}" y="${145 - h}" font-size="11" text-anchor="middle">${r.samplesUsed ?? 0}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${80 + summary.rounds.length * 50}" height="175">${bars}</svg>`;
}

function timeline(summary: RunSummary): string {
  const rows = summary.timeline
    .map(
      (t) =>
        `<tr><td>${escapeXml(t.at.replace('T', ' ').slice(0, 19))}</td><td>${escapeXml(t.phase)}</td><td>${t.round}</td></tr>`,
    )
    .join('');
  return `<table id="timeline"><thead><tr><th>Time</th><th>Phase</th><th>Round</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function gallery(items: GalleryItem[], summary: RunSummary): string {
  const first = escapeXml(summary.rounds[0]?.version ?? 'first');
  const last = escapeXml(summary.finalModel?.version ?? 'final');
  const crop = (c: GalleryCrop) =>
    `<div class="crop"><img alt="${escapeXml(c.label)} ${first}" src="${c.before}"><img alt="${escapeXml(c.label)} ${last}" src="${c.after}"><span>${escapeXml(c.label)}: ${first} | ${last}</span></div>`;
  return items
    .map(
      (g) =>
        `<figure><figcaption>${escapeXml(g.name)}</figcaption><div class="pair"><div><img alt="${escapeXml(g.name)} ${first}" src="${g.before}"><span>${first}</span></div><div><img alt="${escapeXml(g.name)} ${last}" src="${g.after}"><span>${last}</span></div></div><div class="crops">${g.crops.map(crop).join('')}</div></figure>`,
    )
    .join('\n');
}

/** Renders `report.html`: self-contained (inline SVG and data-URI images, no scripts or fetches). */
export function renderHtmlReport(summary: RunSummary, items: GalleryItem[]): string {
  const points = (metric: 'f1' | 'mAP50' | 'f1Reference' | 'mAP50Reference') =>
    summary.rounds.flatMap((r) => (r[metric] === null ? [] : [{ x: r.round, y: r[metric] }]));
  const plot = svgLinePlot(
    [
      { name: 'F1 (Ianvs), new line', color: '#e15759', points: points('f1') },
      { name: 'mAP@0.5, new line', color: '#4e79a7', points: points('mAP50') },
      { name: 'F1 (Ianvs), first line', color: '#f28e2b', points: points('f1Reference') },
      { name: 'mAP@0.5, first line', color: '#76b7b2', points: points('mAP50Reference') },
    ],
    { xLabel: 'round', yLabel: 'score' },
  );
  const agents = summary.agents
    .map(
      (a) =>
        `<tr><td>${escapeXml(a.node)}</td><td>${escapeXml(a.modelVersion ?? '–')}</td><td>${a.inferences}</td><td>${fmt(a.latencyMsP50, 0)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edge-stl report: ${escapeXml(summary.job.namespace)}/${escapeXml(summary.job.name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th{background:#f3f3f3}tr.rejected td{color:#999}tr.rolledback td{color:#b00}
.cards{display:flex;gap:1rem}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem}
.card b{display:block;font-size:1.4rem}figure{display:inline-block;margin:.5rem}.pair{display:flex;gap:.5rem}
.pair img{width:260px;border:1px solid #ccc}.pair span,.crop span{display:block;text-align:center;font-size:.8rem}
.crops{display:flex;gap:.5rem;margin-top:.3rem}.crop img{width:120px;image-rendering:pixelated;border:1px solid #ccc}
</style></head><body>
<h1>edge-stl run: ${escapeXml(summary.job.namespace)}/${escapeXml(summary.job.name)}</h1>
<p>Profile <b>${escapeXml(summary.profile)}</b>, ${escapeXml(summary.startedAt)} → ${escapeXml(summary.finishedAt)} (${(summary.durationSeconds / 60).toFixed(1)} min), final phase <b id="final-phase">${escapeXml(summary.finalPhase)}</b>${summary.stopReason ? `; stopped because ${escapeXml(summary.stopReason)}` : ''}.</p>
<p id="data">Data: ${escapeXml(summary.data.description)}. Every round is scored on the new line's test split (${escapeXml(summary.data.testIndex)}), never streamed nor trained on, and on the first line's test split (${escapeXml(summary.data.referenceTestIndex)}).</p>
<div class="cards">
<div class="card">Final model<b id="final-version">${escapeXml(summary.finalModel?.version ?? '–')}</b></div>
<div class="card">F1 on the new line, round 0 → final<b id="final-f1">${fmt(summary.rounds[0]?.f1)} → ${fmt(summary.finalModel?.f1)}</b></div>
<div class="card">F1 on the first line, final<b>${fmt(summary.finalModel?.f1Reference)}</b></div>
<div class="card">Samples kept / uploaded / labeled<b>${summary.samples.kept} / ${summary.samples.uploaded} / ${summary.samples.labeled}</b></div>
</div>
<h2>Accuracy per round</h2>${plot}
<h2>Model versions</h2>${versionsTable(summary)}
<h2>Labeled edge samples per round</h2>${samplesPlot(summary)}
<h2>Edge agents</h2><table id="agents"><thead><tr><th>Node</th><th>Model</th><th>Inferences</th><th>p50 latency ms</th></tr></thead><tbody>${agents}</tbody></table>
<h2>Before and after, on the new line's test images</h2>${gallery(items, summary)}
<h2>Timeline</h2>${timeline(summary)}
</body></html>
`;
}

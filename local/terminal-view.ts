import { createLogUpdate } from 'log-update';

export interface ViewState {
  job: string;
  phase: string;
  round: number;
  maxRounds: number;
  currentModel: { version: string; f1: number | null } | null;
  training: {
    iteration: number;
    maxIteration: number;
    loss: number;
    etaSeconds: number;
    imagesPerSecond: number;
  } | null;
  samples: { kept: number; uploaded: number; labeled: number };
  agents: Array<{
    node: string;
    modelVersion: string | null;
    state: string;
    latencyMsP50: number | null;
    inferences: number;
  }>;
  elapsedSeconds: number;
}

function bar(fraction: number, width = 28): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** The live view as lines of text (pure, so it is testable and the same on TTY and in logs). */
export function renderView(v: ViewState): string[] {
  const model = v.currentModel
    ? `${v.currentModel.version} (F1 ${v.currentModel.f1?.toFixed(4) ?? '–'})`
    : 'none yet';
  const lines = [
    `edge-stl up  ${v.job}  phase ${v.phase}  round ${v.round}/${v.maxRounds}  model ${model}  ${mmss(v.elapsedSeconds)}`,
  ];
  if (v.training) {
    const t = v.training;
    lines.push(
      `  training ${bar(t.iteration / Math.max(1, t.maxIteration))} ${t.iteration}/${t.maxIteration} loss ${t.loss.toFixed(3)} ${t.imagesPerSecond.toFixed(1)} img/s ETA ${mmss(t.etaSeconds)}`,
    );
  } else {
    lines.push('  training idle');
  }
  lines.push(
    `  samples kept ${v.samples.kept}  uploaded ${v.samples.uploaded}  labeled ${v.samples.labeled}`,
  );
  for (const a of v.agents) {
    lines.push(
      `  agent ${a.node.padEnd(8)} model ${(a.modelVersion ?? '–').padEnd(4)} ${a.state.padEnd(12)} p50 ${a.latencyMsP50 === null ? '–' : `${Math.round(a.latencyMsP50)} ms`}  inferences ${a.inferences}`,
    );
  }
  return lines;
}

/** Cuts a line to `columns` characters: a line the terminal wraps would leave a stale row at the next redraw. */
export function fitToWidth(line: string, columns: number): string {
  const chars = [...line];
  return chars.length <= columns ? line : `${chars.slice(0, Math.max(0, columns - 1)).join('')}…`;
}

/** Redraws the view in place on a TTY (through log-update); elsewhere prints a line when phase or round changes. */
export class TerminalView {
  private readonly redraw: ((text: string) => void) | null;
  private lastKey = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    // The cursor stays visible: nothing would show it again if the run ends abruptly.
    this.redraw = out.isTTY ? createLogUpdate(out, { showCursor: true }) : null;
  }

  update(state: ViewState): void {
    const lines = renderView(state);
    if (this.redraw) {
      const columns = this.out.columns || 80;
      this.redraw(lines.map((line) => fitToWidth(line, columns)).join('\n'));
      return;
    }
    const key = `${state.phase}/${state.round}/${state.currentModel?.version ?? ''}`;
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.out.write(lines[0] + '\n');
    }
  }
}

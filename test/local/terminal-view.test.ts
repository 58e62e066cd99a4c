import { Writable } from 'node:stream';
import { TerminalView, type ViewState } from '../../local/terminal-view.js';

const COLUMNS = 80;
// The terminal's control sequences are what is under test.
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[([0-9;?]*)([A-Za-z])/;

/**
 * A terminal just good enough to replay what the view writes: printable characters with
 * auto-wrap at the right margin, newlines, cursor up, cursor to column 1, erase line, cursor
 * show/hide. Any other escape fails the test (the view must not rely on more).
 */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = COLUMNS;
  readonly rows = 40;
  readonly screen: string[][] = [];
  /** Every text line the view wrote, escapes removed: what it asked the terminal to show. */
  readonly written: string[] = [];
  private row = 0;
  private col = 0;
  private pending = '';

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    const text = chunk.toString();
    this.pending += text.replace(new RegExp(CONTROL.source, 'g'), '');
    const parts = this.pending.split('\n');
    this.pending = parts.pop()!;
    this.written.push(...parts);
    try {
      this.replay(text);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private line(): string[] {
    while (this.screen.length <= this.row) this.screen.push([]);
    return this.screen[this.row];
  }

  private replay(text: string): void {
    for (let i = 0; i < text.length;) {
      const control = new RegExp(CONTROL.source, 'y');
      control.lastIndex = i;
      const escape = control.exec(text);
      if (escape) {
        const [all, arg, op] = escape;
        if (op === 'A') this.row = Math.max(0, this.row - Number(arg || 1));
        else if (op === 'G') this.col = Number(arg || 1) - 1;
        else if (op === 'K' && arg === '2') this.line().length = 0;
        else if (!(op === 'l' || op === 'h') || arg !== '?25')
          throw new Error(`unexpected escape ${JSON.stringify(all)}`);
        i += all.length;
        continue;
      }
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      i += ch.length;
      if (ch === '\n') {
        this.row++;
        this.col = 0;
        continue;
      }
      if (this.col === COLUMNS) {
        this.row++;
        this.col = 0;
      }
      const line = this.line();
      while (line.length < this.col) line.push(' ');
      line[this.col++] = ch;
    }
  }

  /** The rows that show something, as text. */
  visible(): string[] {
    return this.screen.map((cells) => cells.join('').trimEnd()).filter((row) => row !== '');
  }
}

const frame = (i: number): ViewState => ({
  job: `default/${'a-very-long-job-name-'.repeat(3)}${i}`,
  phase: i % 2 ? 'Training' : 'Serving',
  round: i,
  maxRounds: 9,
  currentModel: { version: `v${i}`, f1: 0.5 },
  training: i % 2 ? { iteration: i, maxIteration: 100, loss: 1.5, etaSeconds: 99, imagesPerSecond: 2 } : null,
  samples: { kept: 10 ** i, uploaded: i, labeled: i },
  agents: [
    { node: 'edge-0', modelVersion: `v${i}`, state: 'Loaded', latencyMsP50: 12, inferences: 10 ** (i + 4) },
    { node: 'edge-1', modelVersion: null, state: 'NoJob', latencyMsP50: null, inferences: 0 },
  ],
  elapsedSeconds: 60 * i,
});

describe('terminal view', () => {
  it('redraws in place at 80 columns: no line wider than the terminal, no stale rows left', async () => {
    const terminal = new FakeTerminal();
    const view = new TerminalView(terminal as unknown as NodeJS.WriteStream);
    for (let i = 1; i <= 5; i++) {
      view.update(frame(i));
      await new Promise((resolve) => setImmediate(resolve));
      for (const line of terminal.written) expect([...line].length).toBeLessThanOrEqual(COLUMNS);
      // One row per view line: the previous frame is gone entirely.
      expect(terminal.visible()).toHaveLength(5);
      expect(terminal.visible()[0]).toMatch(/^edge-stl up {2}default\/a-very-long-job-name-/);
      expect(terminal.visible()[0]).toContain('…');
    }
    expect(terminal.visible()[3]).toContain('edge-0');
    expect(terminal.visible()[1]).toContain('5/100');
  });

  it('prints one plain line per phase or round change when not on a terminal', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const view = new TerminalView(out as unknown as NodeJS.WriteStream);
    view.update(frame(1));
    view.update(frame(1));
    view.update(frame(2));
    await new Promise((resolve) => setImmediate(resolve));
    const text = chunks.join('');
    expect(text).not.toContain('\x1b');
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(text).toContain('phase Serving  round 2/9');
  });
});

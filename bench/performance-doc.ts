import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const DOC = join(import.meta.dirname, '..', 'docs', 'performance.md');
const NEW_DOC = '# Performance\n\nFigures from `npm run bench:*` on the machine named in each section.\n';

/** A section of docs/performance.md that one bench owns, between its begin and end markers. */
export interface PerformanceSection {
  /** Marker name, e.g. `fpn` (`<!-- fpn:begin … -->` … `<!-- fpn:end -->`). */
  id: string;
  /** The command that writes it, e.g. `npm run bench:fpn`. */
  command: string;
  heading: string;
  /** What ran where, after the machine line. */
  setup: string;
  /** The load averages while measuring, e.g. `0.1/0.2/0.3 before, …`; default: now, at the end of the run. */
  load?: string;
  /** The table (or any markdown lines). */
  lines: string[];
}

/** The 1/5/15-minute load averages as the sections print them, e.g. `0.12/0.30/0.41`. */
export function loadFigures(load: number[] = loadavg()): string {
  return load.map((l) => l.toFixed(2)).join('/');
}

/** Replaces the bench's section of docs/performance.md, or appends it when the file has none yet. */
export async function writePerformanceSection(section: PerformanceSection): Promise<void> {
  const existing = await readFile(DOC, 'utf8').catch(() => NEW_DOC);
  const cpu = cpus();
  const machine =
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpu[0]?.model.trim() ?? 'unknown CPU'} ` +
    `(${cpu.length} cores), Node ${process.version}; load average (1/5/15 min) ${section.load ?? `${loadFigures()} at the end`}`;
  const body = [
    `<!-- ${section.id}:begin (written by \`${section.command}\`) -->`,
    `## ${section.heading}`,
    '',
    `${machine}. ${section.setup}`,
    '',
    ...section.lines,
    `<!-- ${section.id}:end -->`,
  ].join('\n');
  const marked = new RegExp(`<!-- ${section.id}:begin[\\s\\S]*?<!-- ${section.id}:end -->`);
  await writeFile(
    DOC,
    marked.test(existing) ? existing.replace(marked, () => body) : `${existing.trimEnd()}\n\n${body}\n`,
  );
}

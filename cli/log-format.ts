import type { DestinationStream } from 'pino';
import { UsageError } from '../lib/errors/index.js';
import { setDefaultLogDestination } from '../lib/log.js';

const LOG_FORMATS = ['json', 'pretty'] as const;
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** pino's own fields, shown in the line's head rather than as key=value. */
const HEAD_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/**
 * Takes the global `--log-format json|pretty` (anywhere before `--`) out of `argv` and applies it.
 * Logs are pino JSON lines on stderr by default; `pretty` turns each into one readable line.
 */
export function applyLogFormat(argv: string[]): string[] {
  const rest: string[] = [];
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--log-format') {
      format = argv[++i];
      if (format === undefined) throw new UsageError(`--log-format expects one of ${LOG_FORMATS.join(', ')}`);
    } else if (arg.startsWith('--log-format=')) format = arg.slice('--log-format='.length);
    else rest.push(arg);
  }
  if (format !== undefined && !(LOG_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--log-format expects one of ${LOG_FORMATS.join(', ')}, got "${format}"`);
  if (format === 'pretty') setDefaultLogDestination(prettyDestination(process.stderr));
  return rest;
}

/** A pino destination writing `HH:MM:SS.mmm LEVEL name: msg key=value ...` lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(prettyLine(line) + '\n');
    },
  };
}

export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = LEVELS[entry.level as number] ?? String(entry.level ?? '');
  const fields = Object.entries(entry)
    .filter(([k]) => !HEAD_FIELDS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const head = [time, level.padEnd(5), entry.name ? `${String(entry.name)}:` : ''].filter(Boolean).join(' ');
  return [head, entry.msg ?? '', ...fields].filter((s) => s !== '').join(' ');
}

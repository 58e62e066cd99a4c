import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Field paths that may carry credentials; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'password',
  'secretKey',
  'accessKey',
  'token',
  'authorization',
  '*.password',
  '*.secretKey',
  '*.accessKey',
  '*.token',
  'req.headers.authorization',
  'headers.authorization',
];

let defaultDestination: DestinationStream | null = null;

/**
 * Sends every logger made afterwards without an explicit destination to `destination` (a live
 * terminal view moves all logs to a file this way); null restores stderr.
 */
export function setDefaultLogDestination(destination: DestinationStream | null): void {
  defaultDestination = destination;
}

/**
 * One way to make a logger: pino, JSON lines to stderr (or `destination`, e.g. a log file when the
 * terminal shows a live view), level from `LOG_LEVEL`, secrets redacted.
 */
export function createLogger(
  name: string,
  options: LoggerOptions = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name,
      level: process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...options,
    },
    destination ?? defaultDestination ?? pino.destination(2),
  );
}

export type { Logger };

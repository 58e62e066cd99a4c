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
let stderr: DestinationStream | null = null;

/** Loggers write here; it forwards to the current default, so a logger made at import time follows a later redirect. */
const forwarding: DestinationStream = {
  write(chunk: string) {
    (defaultDestination ?? (stderr ??= pino.destination(2))).write(chunk);
  },
};

/**
 * Sends every logger without an explicit destination (also those made earlier) to `destination`;
 * a live terminal view moves all logs to a file this way. null restores stderr.
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
    destination ?? forwarding,
  );
}

export type { Logger };

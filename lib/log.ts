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

/**
 * One way to make a logger: pino, JSON lines to stderr (or `destination`, e.g. a log file when the
 * terminal shows a live view), level from `LOG_LEVEL`, secrets redacted.
 */
export function createLogger(name: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level: process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...options,
    },
    destination ?? pino.destination(2),
  );
}

export type { Logger };

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { applyLogFormat, prettyLine } from '../../cli/log-format.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger, setDefaultLogDestination } from '../../lib/log.js';

describe('--log-format', () => {
  afterEach(() => {
    setDefaultLogDestination(null);
    jest.restoreAllMocks();
  });

  it('is taken out of the arguments wherever it stands before --', () => {
    expect(applyLogFormat(['validate', '--log-format', 'json', 'a.yaml'])).toEqual(['validate', 'a.yaml']);
    expect(applyLogFormat(['--log-format=json', 'up'])).toEqual(['up']);
    expect(applyLogFormat(['validate', '--', '--log-format', 'x'])).toEqual([
      'validate',
      '--',
      '--log-format',
      'x',
    ]);
    expect(() => applyLogFormat(['--log-format', 'xml'])).toThrow(UsageError);
    expect(() => applyLogFormat(['up', '--log-format'])).toThrow(/--log-format expects one of json, pretty/);
  });

  it('pretty turns every pino line on stderr into one readable line', () => {
    const written: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    applyLogFormat(['--log-format', 'pretty', 'trainer']);
    const log = createLogger('trainer');
    log.warn({ round: 3, job: 'demo/pcb', secretKey: 's3cr3t' }, 'round failed');
    log.flush();
    expect(written.join('')).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}trainer: round failed round=3 job=demo\/pcb secretKey=\[redacted\]\n$/,
    );
  });

  it('leaves a line that is not JSON as it is', () => {
    expect(prettyLine('plain text')).toBe('plain text');
    expect(prettyLine('{"level":30,"time":0,"msg":"hi","a":{"b":1}}')).toBe(
      '00:00:00.000 INFO  hi a={"b":1}',
    );
  });
});

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors/index.js';

/**
 * `node:util` parseArgs (strict), with every parse error (unknown flag, missing value, value on a
 * boolean, stray positional) turned into a {@link UsageError}: the CLI prints it as
 * `edge-stl <cmd>: <what>` with the command's usage and exits 2. parseArgs throws a bare TypeError.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    // parseArgs appends advice on `--` for unknown options; the first sentence says what is wrong.
    const message = (err as Error).message.replace(/\. To specify a positional argument[\s\S]*$/, '');
    throw new UsageError(message, { cause: err });
  }
}

/** What a numeric flag accepts. */
export interface NumberRule {
  min?: number;
  max?: number;
  /** default true */
  integer?: boolean;
}

/**
 * The number in a flag's raw value, or undefined when the flag is absent; anything else (empty,
 * not a finite number, a fraction where an integer is due, out of range) is a {@link UsageError}
 * naming the flag and the value.
 */
export function numberFlag(flag: string, raw: string | undefined, rule: NumberRule = {}): number | undefined {
  return raw === undefined ? undefined : checkNumber(`--${flag}`, raw, rule);
}

/** {@link numberFlag}'s rule for a value from `name` (`--flag` or an environment variable). */
export function checkNumber(name: string, raw: string, rule: NumberRule = {}): number {
  const { min, max, integer = true } = rule;
  const n = raw.trim() === '' ? NaN : Number(raw);
  const ok =
    Number.isFinite(n) &&
    (!integer || Number.isInteger(n)) &&
    (min === undefined || n >= min) &&
    (max === undefined || n <= max);
  if (!ok) throw new UsageError(`${name} expects ${describeRule(rule)}, got "${raw}"`);
  return n;
}

function describeRule({ min, max, integer = true }: NumberRule): string {
  const kind = integer ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} in [${min}, ${max}]`;
  if (min !== undefined) return `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

/** A flag whose value is one of `choices`, or undefined when absent. */
export function choiceFlag<C extends string>(
  flag: string,
  raw: string | undefined,
  choices: readonly C[],
): C | undefined {
  return raw === undefined ? undefined : checkChoice(`--${flag}`, raw, choices);
}

/** {@link choiceFlag}'s rule for a value from `name` (`--flag` or an environment variable). */
export function checkChoice<C extends string>(name: string, raw: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(raw))
    throw new UsageError(`${name} expects one of ${choices.join(', ')}, got "${raw}"`);
  return raw as C;
}

import { UsageError } from '../errors/index.js';
import { checkChoice, checkNumber, parseFlags, type NumberRule } from './args.js';

/**
 * One command setting, declared once: its flag, its environment variable, its default, the rule its
 * value follows and its help line. A table of them gives the parseArgs options, the resolved values
 * and the `--help` text, so the help cannot disagree with the parsing. Secrets are never settings:
 * they are {@link EnvOnly} entries, listed in the help and read from the environment by the caller.
 */
export interface Setting<T, HasDefault extends boolean = boolean> {
  readonly type: 'string' | 'boolean';
  readonly multiple: boolean;
  readonly short?: string;
  /** Value placeholder in the help (`<n>`); none for a boolean. */
  readonly arg?: string;
  /** Environment fallback: undefined = `EDGE_STL_<FLAG>`, null = none (the setting lives elsewhere). */
  readonly env?: string | null;
  /** Further variables read, in order, after `env` (e.g. Kubernetes' `NODE_NAME`). */
  readonly alsoEnv?: readonly string[];
  readonly default?: T;
  /** The help's default column when the default is not a plain value (`host name`, `none: standalone`). */
  readonly defaultText?: string;
  readonly help: string;
  /** `name` is `--flag` or the variable the raw value came from, for the error message. */
  readonly parse: (raw: string, name: string) => T;
  /** Type-level only: whether a value is always there. */
  readonly hasDefault?: HasDefault;
}

interface Common<T> {
  help: string;
  arg?: string;
  env?: string | null;
  alsoEnv?: readonly string[];
  defaultText?: string;
  short?: string;
  default?: T;
}

type WithDefault<T> = Common<T> & { default: T };

/** A string, passed through. */
export function stringSetting(o: WithDefault<string>): Setting<string, true>;
export function stringSetting(o: Common<string>): Setting<string, false>;
export function stringSetting(o: Common<string>): Setting<string> {
  return { ...o, type: 'string', multiple: false, arg: o.arg ?? '<value>', parse: (raw) => raw };
}

/** A string with a rule of its own (e.g. `ns/name`): `check` returns the value or throws a UsageError. */
export function customSetting<T>(
  o: WithDefault<T> & { check: (raw: string, name: string) => T },
): Setting<T, true>;
export function customSetting<T>(
  o: Common<T> & { check: (raw: string, name: string) => T },
): Setting<T, false>;
export function customSetting<T>(o: Common<T> & { check: (raw: string, name: string) => T }): Setting<T> {
  const { check, ...rest } = o;
  return { ...rest, type: 'string', multiple: false, arg: o.arg ?? '<value>', parse: check };
}

/** A number following the `numberFlag` rule (integer unless `integer: false`, `min`, `max`). */
export function numberSetting(o: WithDefault<number> & NumberRule): Setting<number, true>;
export function numberSetting(o: Common<number> & NumberRule): Setting<number, false>;
export function numberSetting(o: Common<number> & NumberRule): Setting<number> {
  const { min, max, integer, ...rest } = o;
  const rule = { min, max, integer };
  return {
    ...rest,
    type: 'string',
    multiple: false,
    arg: o.arg ?? '<n>',
    parse: (raw, name) => checkNumber(name, raw, rule),
  };
}

/** One of `choices`. */
export function choiceSetting<C extends string>(
  o: WithDefault<C> & { choices: readonly C[] },
): Setting<C, true>;
export function choiceSetting<C extends string>(o: Common<C> & { choices: readonly C[] }): Setting<C, false>;
export function choiceSetting<C extends string>(o: Common<C> & { choices: readonly C[] }): Setting<C> {
  const { choices, ...rest } = o;
  return {
    ...rest,
    type: 'string',
    multiple: false,
    arg: o.arg ?? `<${choices.join('|')}>`,
    parse: (raw, name) => checkChoice(name, raw, choices),
  };
}

/** A URL whose protocol is one of `protocols` (e.g. `['http:', 'https:']`); kept as written. */
export function urlSetting(o: Common<string> & { protocols: readonly string[] }): Setting<string, false> {
  const { protocols, ...rest } = o;
  return {
    ...rest,
    type: 'string',
    multiple: false,
    arg: o.arg ?? '<url>',
    parse: (raw, name) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch (err) {
        throw new UsageError(`${name} is not a URL: "${raw}"`, { cause: err });
      }
      if (!protocols.includes(url.protocol))
        throw new UsageError(`${name} must use ${protocols.join(' or ')}, got "${url.protocol}"`);
      return raw;
    },
  };
}

/** A switch; from the environment `true`/`1`/`yes` or `false`/`0`/`no`. */
export function booleanSetting(o: Omit<Common<boolean>, 'arg' | 'default'>): Setting<boolean, true> {
  return {
    ...o,
    type: 'boolean',
    multiple: false,
    default: false,
    defaultText: o.defaultText ?? 'off',
    parse: parseBoolean,
  };
}

/** A repeatable flag; its variable holds the values separated by white space. */
export function listSetting(o: Omit<Common<string[]>, 'default'>): Setting<string[], true> {
  return {
    ...o,
    type: 'string',
    multiple: true,
    arg: o.arg ?? '<value>',
    default: [],
    defaultText: o.defaultText ?? 'none',
    parse: (raw) => [raw],
  };
}

function parseBoolean(raw: string, name: string): boolean {
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new UsageError(`${name} expects true or false, got "${raw}"`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SettingsTable = Record<string, Setting<any>>;

/** The resolved value of each setting, by flag name: undefined only where no default is declared. */
export type SettingValues<S extends SettingsTable> = {
  [K in keyof S]: S[K] extends Setting<infer T, infer D> ? (D extends true ? T : T | undefined) : never;
};

/** A variable the command reads from the environment only (secrets, shared infrastructure). */
export interface EnvOnly {
  /** One name, or alternatives (`S3_ACCESS_KEY (or AWS_ACCESS_KEY_ID)`). */
  name: string;
  help: string;
}

export type ParsedSettings<S extends SettingsTable> =
  { help: true } | { help: false; values: SettingValues<S>; positionals: string[] };

/** The variable a setting falls back to. */
export function settingEnvNames(flag: string, setting: Setting<unknown>): string[] {
  const own = setting.env === undefined ? `EDGE_STL_${flag.toUpperCase().replace(/-/g, '_')}` : setting.env;
  return [...(own ? [own] : []), ...(setting.alsoEnv ?? [])];
}

/**
 * Parses `argv` against the table and resolves each setting: the flag wins over its variable, the
 * variable over the default; an empty variable counts as unset. Parse errors and bad values (from a
 * flag or a variable, named in the message) are {@link UsageError}s, so the CLI exits 2 with the usage.
 */
export function parseSettings<S extends SettingsTable>(
  table: S,
  argv: string[],
  env: NodeJS.ProcessEnv,
  { allowPositionals = false }: { allowPositionals?: boolean } = {},
): ParsedSettings<S> {
  const options = Object.fromEntries([
    ['help', { type: 'boolean', short: 'h' }],
    ...Object.entries(table).map(([flag, s]) => [
      flag,
      { type: s.type, multiple: s.multiple, ...(s.short ? { short: s.short } : {}) },
    ]),
  ]) as Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
  const { values: raw, positionals } = parseFlags({ args: argv, options, strict: true, allowPositionals });
  if (raw.help) return { help: true };
  const values: Record<string, unknown> = {};
  for (const [flag, setting] of Object.entries(table))
    values[flag] = resolveSetting(flag, setting, raw[flag], env);
  return { help: false, values: values as SettingValues<S>, positionals };
}

function resolveSetting(
  flag: string,
  setting: Setting<unknown>,
  fromFlag: string | boolean | (string | boolean)[] | undefined,
  env: NodeJS.ProcessEnv,
): unknown {
  if (setting.multiple && Array.isArray(fromFlag) && fromFlag.length > 0)
    return fromFlag.flatMap((v) => setting.parse(String(v), `--${flag}`) as unknown[]);
  if (typeof fromFlag === 'boolean') return fromFlag;
  if (typeof fromFlag === 'string') return setting.parse(fromFlag, `--${flag}`);
  for (const name of settingEnvNames(flag, setting)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (setting.multiple)
      return value
        .split(/\s+/)
        .filter(Boolean)
        .flatMap((v) => setting.parse(v, name) as unknown[]);
    return setting.parse(value, name);
  }
  return setting.default;
}

/** What `--help` prints. */
export interface UsageText {
  /** `Usage: edge-stl <cmd> ...` and the description, as written. */
  head: string;
  /** Variables read from the environment only, secrets first. */
  envOnly?: readonly EnvOnly[];
  envOnlyTitle?: string;
  /** Anything after the tables. */
  tail?: string;
}

/** The `--help` text: one line per setting with its flag, variable and default, then the env-only variables. */
export function settingsUsage(table: SettingsTable, text: UsageText): string {
  const parts = [
    text.head.trimEnd(),
    `Options (flag, environment variable, default):\n${settingsLines(table, { help: true })}`,
  ];
  if (text.envOnly?.length) {
    const width = Math.max(...text.envOnly.map((e) => e.name.length));
    parts.push(
      `${text.envOnlyTitle ?? 'From the environment only (secrets are never flags):'}\n${text.envOnly
        .map((e) => `  ${e.name.padEnd(width)}  ${e.help}`)
        .join('\n')}`,
    );
  }
  if (text.tail) parts.push(text.tail.trimEnd());
  return parts.join('\n\n');
}

/**
 * The table's rows (flag, variable, default, help), aligned and indented by `indent` spaces; for a
 * usage text laid out by hand (a command with subcommands). `help: true` adds `-h, --help`.
 */
export function settingsLines(table: SettingsTable, { indent = 2, help = false } = {}): string {
  const rows = [
    ...Object.entries(table).map(([flag, s]) => [
      `--${flag}${s.arg && s.type === 'string' ? ` ${s.arg}` : ''}${s.multiple ? ' ...' : ''}`,
      settingEnvNames(flag, s).join(', ') || '-',
      s.defaultText ?? formatDefault(s.default),
      s.help,
    ]),
    ...(help ? [['-h, --help', '', '', 'this text']] : []),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      `${' '.repeat(indent)}${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3]}`.trimEnd(),
    )
    .join('\n');
}

function formatDefault(value: unknown): string {
  if (value === undefined) return 'none';
  if (Array.isArray(value)) return value.length ? value.join(' ') : 'none';
  return String(value);
}

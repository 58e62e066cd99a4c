import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../../lib/errors/index.js';
import {
  booleanSetting,
  choiceSetting,
  listSetting,
  numberSetting,
  parseSettings,
  settingsUsage,
  stringSetting,
  urlSetting,
  type SettingsTable,
} from '../../../lib/cli/settings.js';

const TABLE = {
  port: numberSetting({ min: 0, max: 65535, default: 8080, help: 'listen port' }),
  ratio: numberSetting({ min: 0, max: 1, integer: false, help: 'a share' }),
  name: stringSetting({ env: 'OTHER_NAME', alsoEnv: ['NODE_NAME'], defaultText: 'host name', help: 'who' }),
  mode: choiceSetting({ choices: ['a', 'b'] as const, default: 'a', help: 'which' }),
  target: urlSetting({ protocols: ['http:', 'https:'], help: 'where' }),
  verbose: booleanSetting({ help: 'say more' }),
  plugin: listSetting({ arg: '<module>', help: 'load this' }),
} satisfies SettingsTable;

function values(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseSettings(TABLE, argv, env);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.values;
}

describe('settings table', () => {
  it('takes the flag over its variable, the variable over the default', () => {
    expect(values([]).port).toBe(8080);
    expect(values([], { EDGE_STL_PORT: '9000' }).port).toBe(9000);
    expect(values(['--port', '7000'], { EDGE_STL_PORT: '9000' }).port).toBe(7000);
    expect(values([], { OTHER_NAME: 'x', NODE_NAME: 'y' }).name).toBe('x');
    expect(values([], { NODE_NAME: 'y' }).name).toBe('y');
    expect(values([], { EDGE_STL_VERBOSE: 'true' }).verbose).toBe(true);
    expect(values(['--verbose'], { EDGE_STL_VERBOSE: 'no' }).verbose).toBe(true);
    expect(values([], { EDGE_STL_PLUGIN: 'a.mjs  b.mjs' }).plugin).toEqual(['a.mjs', 'b.mjs']);
    expect(values(['--plugin', 'c.mjs'], { EDGE_STL_PLUGIN: 'a.mjs' }).plugin).toEqual(['c.mjs']);
  });

  it('counts an empty variable as unset', () => {
    expect(values([], { EDGE_STL_PORT: '', EDGE_STL_MODE: '' })).toMatchObject({ port: 8080, mode: 'a' });
    expect(values([], { OTHER_NAME: '', NODE_NAME: 'y' }).name).toBe('y');
    expect(values([], { EDGE_STL_PLUGIN: '' }).plugin).toEqual([]);
  });

  it('leaves a setting without default undefined', () => {
    expect(values([])).toMatchObject({
      ratio: undefined,
      name: undefined,
      target: undefined,
      verbose: false,
    });
  });

  it.each([
    [['--port', '80x'], {}, '--port expects an integer in [0, 65535], got "80x"'],
    [[], { EDGE_STL_PORT: '70000' }, 'EDGE_STL_PORT expects an integer in [0, 65535], got "70000"'],
    [[], { EDGE_STL_RATIO: '2' }, 'EDGE_STL_RATIO expects a number in [0, 1], got "2"'],
    [[], { EDGE_STL_MODE: 'c' }, 'EDGE_STL_MODE expects one of a, b, got "c"'],
    [['--target', 'ftp://x'], {}, '--target must use http: or https:, got "ftp:"'],
    [[], { EDGE_STL_TARGET: 'nope' }, 'EDGE_STL_TARGET is not a URL: "nope"'],
    [[], { EDGE_STL_VERBOSE: 'maybe' }, 'EDGE_STL_VERBOSE expects true or false, got "maybe"'],
    [['--nope'], {}, "Unknown option '--nope'"],
  ])('refuses %j %j as a usage error', (argv, env, message) => {
    expect(() => values(argv as string[], env as NodeJS.ProcessEnv)).toThrow(UsageError);
    expect(() => values(argv as string[], env as NodeJS.ProcessEnv)).toThrow(message as string);
  });

  it('answers --help before reading any value', () => {
    expect(parseSettings(TABLE, ['-h'], { EDGE_STL_PORT: 'bad' })).toEqual({ help: true });
  });

  it('lists every setting in the usage with its variable and default, and env-only variables apart', () => {
    const usage = settingsUsage(TABLE, {
      head: 'Usage: edge-stl demo',
      envOnly: [{ name: 'DEMO_TOKEN', help: 'secret' }],
    });
    const line = (flag: string) => usage.split('\n').find((l) => l.trimStart().startsWith(`--${flag}`)) ?? '';
    expect(line('port')).toMatch(/^ {2}--port <n> +EDGE_STL_PORT +8080 +listen port$/);
    expect(line('name')).toMatch(/--name <value> +OTHER_NAME, NODE_NAME +host name +who/);
    expect(line('mode')).toMatch(/--mode <a\|b> +EDGE_STL_MODE +a +which/);
    expect(line('ratio')).toMatch(/EDGE_STL_RATIO +none +a share/);
    expect(line('verbose')).toMatch(/--verbose +EDGE_STL_VERBOSE +off +say more/);
    expect(line('plugin')).toMatch(/--plugin <module> \.\.\. +EDGE_STL_PLUGIN +none +load this/);
    expect(usage).toMatch(/From the environment only[^\n]*\n {2}DEMO_TOKEN {2}secret/);
    expect(usage).not.toContain('--demo-token');
  });
});

import { readFileSync } from 'node:fs';
import { UsageError } from '../../lib/errors/index.js';
import { settingEnvNames } from '../../lib/cli/settings.js';
import { s3ConfigFromEnv } from '../../lib/storage/s3-config.js';
import {
  EDGE_AGENT_SETTINGS,
  EDGE_AGENT_USAGE,
  parseEdgeAgentArgs,
  resolveEdgeAgentConfig,
} from '../../edge-agent/config.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseEdgeAgentArgs(argv, env, s3ConfigFromEnv);

describe('edge agent configuration', () => {
  it('reads flags, falls back to EDGE_STL_* variables, and takes secrets from the environment only', () => {
    const parsed = parse(
      [
        '--node',
        'cam-1',
        '--port',
        '9000',
        '--job',
        'prod/helmets',
        '--sampling',
        'all',
        '--max-per-minute',
        '0',
      ],
      {
        EDGE_STL_DATA_DIR: '/var/lib/agent',
        EDGE_STL_OPERATOR_URL: 'http://operator:8081/',
        EDGE_STL_NODE_TOKEN: 'node-secret',
        EDGE_STL_API_TOKEN: 'api-secret',
        EDGE_STL_QUEUE_LIMIT: '3',
        EDGE_STL_MQTT_URL: 'mqtt://127.0.0.1:1883',
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_ACCESS_KEY: 'ak',
        S3_SECRET_KEY: 'sk',
      },
    );
    if (parsed.help) throw new Error('unexpected help');
    const config = resolveEdgeAgentConfig(parsed.options);
    expect(config).toMatchObject({
      node: 'cam-1',
      port: 9000,
      dataDir: '/var/lib/agent',
      operatorUrl: 'http://operator:8081',
      operatorToken: 'node-secret',
      apiToken: 'api-secret',
      job: { namespace: 'prod', name: 'helmets' },
      s3: { endpoint: 'http://127.0.0.1:9000', accessKey: 'ak', secretKey: 'sk' },
      mqttUrl: 'mqtt://127.0.0.1:1883',
      mqttTopic: 'edge-stl/results/cam-1',
      sampling: { strategy: 'all', maxPerMinute: 0, thresholdImg: 0.5, thresholdBox: 0.5 },
    });
    expect(config.limits.queueLimit).toBe(3);
    expect(config.limits.concurrency).toBe(1);
    expect(EDGE_AGENT_USAGE).toContain('EDGE_STL_NODE_TOKEN');
    expect(EDGE_AGENT_USAGE).not.toMatch(/--(api|node)-token/);
  });

  it.each([
    [['--port', 'eighty'], /--port expects an integer/],
    [['--threshold-img', '1.5'], /--threshold-img expects a number in \[0, 1\]/],
    [['--sampling', 'most'], /--sampling expects ibt, all, random or none/],
    [['--job', 'no-slash'], /--job expects <namespace>\/<name>/],
    [['--webhook-url', 'ftp://x'], /--webhook-url must use http: or https:/],
    [['--api-token', 'x'], /Unknown option '--api-token'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv as string[])).toThrow(UsageError);
    expect(() => parse(argv as string[])).toThrow(message as RegExp);
  });

  it.each(['../etc', 'Cam_1', 'a/b', '-x'])('refuses node name %j before it reaches a sample key', (node) => {
    expect(() => resolveEdgeAgentConfig({ node, dataDir: '/tmp/x' })).toThrow(/--node must be a DNS name/);
  });

  it('takes the node name from EDGE_STL_NODE_NAME, else NODE_NAME, and plugins from --plugin or EDGE_STL_PLUGIN', () => {
    const a = parse(['--plugin', './a.mjs', '--plugin', './b.mjs'], {
      EDGE_STL_NODE_NAME: 'cam-2',
      NODE_NAME: 'k8s-node',
    });
    const b = parse([], { NODE_NAME: 'k8s-node', EDGE_STL_PLUGIN: './c.mjs' });
    if (a.help || b.help) throw new Error('unexpected help');
    expect([a.options.node, a.plugins]).toEqual(['cam-2', ['./a.mjs', './b.mjs']]);
    expect([b.options.node, b.plugins]).toEqual(['k8s-node', ['./c.mjs']]);
  });

  it('names the variable a bad value came from', () => {
    expect(() => parse([], { EDGE_STL_CONCURRENCY: '65' })).toThrow(
      'EDGE_STL_CONCURRENCY expects an integer in [1, 64], got "65"',
    );
  });

  it('docs/edge-agent.md lists the same flags, variables and defaults as --help', () => {
    const doc = readFileSync(new URL('../../docs/edge-agent.md', import.meta.url), 'utf8');
    const rows = new Map(
      [...doc.matchAll(/^\| `--([a-z0-9-]+)`[^|]*\| ([^|]+) \| ([^|]+) \|/gm)].map((m) => [
        m[1],
        { env: [...m[2].matchAll(/`([A-Z0-9_]+)`/g)].map((e) => e[1]), defaultText: m[3].replace(/`/g, '') },
      ]),
    );
    expect([...rows.keys()].sort()).toEqual(Object.keys(EDGE_AGENT_SETTINGS).sort());
    for (const [flag, setting] of Object.entries(EDGE_AGENT_SETTINGS)) {
      expect({ flag, env: rows.get(flag)?.env }).toEqual({ flag, env: settingEnvNames(flag, setting) });
      const generated = setting.defaultText ?? String(setting.default ?? 'none');
      expect({ flag, doc: rows.get(flag)?.defaultText.startsWith(generated) }).toEqual({ flag, doc: true });
    }
  });

  it('--help asks for the usage', () => {
    expect(parse(['--help'])).toEqual({ help: true });
  });
});

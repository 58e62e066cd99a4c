import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OperatorClient } from '../../edge-agent/operator-client.js';
import { PresignedSampleTarget } from '../../edge-agent/sample-target.js';
import { fetchTrusting } from '../../lib/net/trusted-fetch.js';
import { HeartbeatReply, heartbeatPath } from '../../lib/protocol/heartbeat.js';
import { mintNodeToken } from '../../operator/coordination/tokens.js';
import { removeTempDirs, startTestAgent, tempDir } from '../edge-agent/support/agent-harness.js';
import { AGENT_KEY, NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

/** A CA and a server certificate for 127.0.0.1, made with the openssl CLI at test time. */
function makeCa(dir: string, name: string): void {
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    `${name}-ca.key`,
    '-out',
    `${name}-ca.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name} test CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  run(
    'req',
    ...ec,
    '-keyout',
    `${name}-tls.key`,
    '-out',
    `${name}-tls.csr`,
    '-subj',
    '/CN=edge-stl-operator',
  );
  execFileSync(
    'sh',
    [
      '-c',
      `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > ${name}-ext.cnf`,
    ],
    { cwd: dir },
  );
  run(
    'x509',
    '-req',
    '-in',
    `${name}-tls.csr`,
    '-CA',
    `${name}-ca.crt`,
    '-CAkey',
    `${name}-ca.key`,
    '-CAcreateserial',
    '-out',
    `${name}-tls.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}-ext.cnf`,
  );
}

/** The coordination API over HTTPS: agents trusting the right CA talk to it; any other CA is refused. */
describe('coordination API over TLS', () => {
  let env: OperatorEnv;
  let dir: string;
  let httpsUrl: string;

  beforeAll(async () => {
    dir = await tempDir('tls');
    makeCa(dir, 'right');
    makeCa(dir, 'wrong');
    env = await startOperatorEnv('tls');
    env.node('tls-1', { line: 'a' });
    const op = await env.startOperator({
      tls: {
        cert: await readFile(join(dir, 'right-tls.crt')),
        key: await readFile(join(dir, 'right-tls.key')),
      },
    });
    httpsUrl = op.coordinationUrl;
    env.createJob('tls');
    await waitFor('serving', () => env.job('tls')?.status?.phase === 'Serving', 20_000);
  });
  afterAll(async () => {
    await env.close();
    await removeTempDirs();
  });

  const client = async (ca: string | null): Promise<OperatorClient> =>
    new OperatorClient({
      operatorUrl: httpsUrl,
      token: mintNodeToken(AGENT_KEY, 'tls-1'),
      ...(ca ? { fetch: await fetchTrusting(join(dir, `${ca}-ca.crt`)) } : {}),
    });
  const heartbeat = async (c: OperatorClient): Promise<HeartbeatReply> =>
    c.post(heartbeatPath('tls-1'), { node: 'tls-1', jobs: [] }, HeartbeatReply);

  it('serves HTTPS only', async () => {
    expect(httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await expect(fetch(httpsUrl.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
  });

  it('is trusted through the right CA, and refused with a wrong CA or the public roots only', async () => {
    const reply = await heartbeat(await client('right'));
    expect(reply.jobs.map((j) => j.job.name)).toEqual(['tls']);
    await expect(heartbeat(await client('wrong'))).rejects.toThrow(/unable to verify the first certificate/);
    await expect(heartbeat(await client(null))).rejects.toMatchObject({
      cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    });
  });

  it('uploads a sample through a presigned URL fetched over TLS, with no S3 keys', async () => {
    const target = new PresignedSampleTarget(await client('right'), 'tls-1', {
      fetch: await fetchTrusting(join(dir, 'right-ca.crt')),
    });
    const id = randomBytes(32).toString('hex');
    await writeFile(join(dir, 's.jpeg'), 'image');
    await writeFile(join(dir, 's.json'), '{"id":"x"}');
    await target.put(
      {
        record: { id, job: { namespace: NS, name: 'tls' }, node: 'tls-1', bucket: env.bucket } as never,
        imagePath: join(dir, 's.jpeg'),
        recordPath: join(dir, 's.json'),
      } as never,
      new AbortController().signal,
    );
    const key = (ext: string): string => `samples/${NS}/tls/tls-1/${id}.${ext}`;
    expect((await env.store.getBuffer(env.bucket, key('jpeg'))).toString()).toBe('image');
    expect((await env.store.getBuffer(env.bucket, key('json'))).toString()).toBe('{"id":"x"}');
  });

  it('an edge agent with EDGE_STL_CA_FILE and its node token file heartbeats; with a wrong CA it cannot', async () => {
    await writeFile(join(dir, 'node-token'), `${mintNodeToken(AGENT_KEY, 'tls-1')}\n`, { mode: 0o600 });
    const options = (ca: string) => ({
      node: 'tls-1',
      operatorUrl: httpsUrl,
      operatorTokenFile: join(dir, 'node-token'),
      caFile: join(dir, `${ca}-ca.crt`),
      limits: { heartbeatIntervalSeconds: 1, maxBackoffMs: 300 },
    });
    const good = await startTestAgent(options('right'));
    const bad = await startTestAgent(options('wrong'));
    try {
      const count = async (a: typeof good, metric: 'heartbeats' | 'heartbeatFailures'): Promise<number> =>
        (await a.agent.metrics[metric].get()).values[0]?.value ?? 0;
      await waitFor('a good heartbeat', async () => (await count(good, 'heartbeats')) >= 1);
      await waitFor('failed heartbeats', async () => (await count(bad, 'heartbeatFailures')) >= 2);
      expect(await count(bad, 'heartbeats')).toBe(0);
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
  });
});

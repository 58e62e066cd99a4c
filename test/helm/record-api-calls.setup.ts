/**
 * Jest setup file that records the Kubernetes API calls the operator makes against every
 * FakeKubeApiServer a test file starts, and merges them into test/helm/fixtures/operator-api-calls.json
 * for rbac-coverage.test.ts.
 *
 * The operator and the tests (playing the user) share one process and one KubeConfig, so calls are
 * told apart at their source: API clients created by code under operator/ send a marker header, and
 * watches (which only the operator's informer opens through client-node) are kept by User-Agent.
 * kubectl's calls and the tests' own client calls (creating or deleting jobs) are left out.
 *
 * Record from the operator's tests (delete the fixture first to drop calls the operator no longer makes):
 *
 *   npm test -- test/operator --setupFilesAfterEnv "$PWD/test/helm/record-api-calls.setup.ts"
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { API_CALLS_FIXTURE } from './api-call-fixture.js';
import { REPO_ROOT } from './chart.js';
import { normalizeCalls, type RbacCall } from './rbac.js';

/** client-node sends requests through node-fetch, whose User-Agent starts with this. */
const CLIENT_NODE = /^node-fetch/;
const MARKER = 'x-edge-stl-recorded-client';
const OPERATOR_SOURCES = `${join(REPO_ROOT, 'operator')}/`;

interface Tagged extends RbacCall {
  userAgent?: string;
  client?: string;
}

/** Whether the operator made this call (see the file comment). */
function byOperator(c: Tagged): boolean {
  return c.client === 'operator' || (c.verb === 'watch' && CLIENT_NODE.test(c.userAgent ?? ''));
}

// API clients built by operator code (their constructors run synchronously under operator/) carry the marker.
type AuthContext = { setHeaderParam(key: string, value: string): void };
const kcProto = KubeConfig.prototype as unknown as {
  makeApiClient: (this: KubeConfig, type: unknown) => unknown;
  applySecurityAuthentication: (this: KubeConfig, ctx: AuthContext) => Promise<void>;
};
const makeApiClient = kcProto.makeApiClient;
kcProto.makeApiClient = function (type) {
  if (!(new Error().stack ?? '').includes(OPERATOR_SOURCES)) return makeApiClient.call(this, type);
  const tagged = Object.create(this) as KubeConfig & typeof kcProto;
  tagged.applySecurityAuthentication = async (ctx) => {
    await kcProto.applySecurityAuthentication.call(this, ctx);
    ctx.setHeaderParam(MARKER, 'operator');
  };
  return makeApiClient.call(tagged, type);
};

const userAgent = new AsyncLocalStorage<{ userAgent: string; client: string }>();
const servers = new Set<FakeKubeApiServer>();

type Handle = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
const proto = FakeKubeApiServer.prototype as unknown as {
  handle: Handle;
  start: (port?: number) => Promise<string>;
};
const handle = proto.handle;
const start = proto.start;

// Each request runs in an async context carrying its User-Agent, so the call it records can be tagged.
proto.handle = function (this: FakeKubeApiServer, req, res) {
  const tags = {
    userAgent: String(req.headers['user-agent'] ?? ''),
    client: String(req.headers[MARKER] ?? ''),
  };
  return userAgent.run(tags, () => handle.call(this, req, res));
};
proto.start = function (this: FakeKubeApiServer, port?: number) {
  const calls = this.calls as Tagged[];
  const push = calls.push.bind(calls);
  calls.push = (...items) => push(...items.map((c) => ({ ...c, ...userAgent.getStore() })));
  servers.add(this);
  return start.call(this, port);
};

afterAll(() => {
  const recorded = [...servers].flatMap((s) => (s.calls as Tagged[]).filter(byOperator));
  if (recorded.length === 0) return;
  const previous = existsSync(API_CALLS_FIXTURE)
    ? (JSON.parse(readFileSync(API_CALLS_FIXTURE, 'utf8')) as RbacCall[])
    : [];
  writeFileSync(
    API_CALLS_FIXTURE,
    JSON.stringify(normalizeCalls([...previous, ...recorded]), null, 2) + '\n',
  );
});

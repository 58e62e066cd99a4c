import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { jsonPatch, mergePatch, PatchError } from './fake-kube-patch.js';
import {
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  builtinResources,
  groupVersion,
  resourcesFromCrd,
  toTable,
  type FakeResource,
} from './fake-kube-resources.js';
import {
  ApiError,
  FakeKubeStore,
  type Defaulter,
  type KObj,
  type Validator,
  type WatchEvent,
} from './fake-kube-store.js';

export { ApiError, FakeKubeStore, type KObj } from './fake-kube-store.js';
export type { FakeResource } from './fake-kube-resources.js';

/** One recorded API call, in RBAC terms (what a Role must allow). */
export interface ApiCall {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  status: number;
  /** The bearer token the client sent (tests give each client its own). */
  token?: string;
  /** When the request arrived (performance.now() ms): for tests of retry timing. */
  at?: number;
}

/** A failure to inject into the next matching requests. */
export interface InjectedFailure {
  status: number;
  verb?: ApiCall['verb'];
  resource?: string;
  subresource?: string;
  /** Only requests on this object name. */
  name?: string;
  /** How many matching requests fail (default 1). */
  count?: number;
}

export interface FakeKubeApiServerOptions {
  /** CRD YAML files to serve (with their schemas, printer columns, status subresource). */
  crds?: string[];
  /** Validators by plural (run on create/update of the main resource, like CRD schema validation). */
  validators?: Record<string, Validator>;
  /** Structural defaulting by plural (the apiserver applies CRD schema defaults on write). */
  defaulters?: Record<string, Defaulter>;
  /** Interval of BOOKMARK events on watches that allow them (default 1 s). */
  bookmarkIntervalMs?: number;
}

interface Route {
  resource: FakeResource;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * A faithful in-process fake of kube-apiserver over real HTTP: discovery, list/watch with
 * resourceVersions, bookmarks and 410 Gone, create/get/update/patch/delete, the status
 * subresource, generation, optimistic concurrency, finalizers, dryRun and schema validation.
 * Faults (500s, dropped watches, compaction) can be injected; every call is recorded.
 */
export class FakeKubeApiServer {
  readonly store = new FakeKubeStore();
  readonly resources: FakeResource[];
  readonly calls: ApiCall[] = [];
  private readonly failures: InjectedFailure[] = [];
  private readonly watches = new Set<{ res: ServerResponse; close: () => void }>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private readonly bookmarkIntervalMs: number;
  /** Watches answered with a 410 Expired event. */
  expiredWatches = 0;
  url = '';

  constructor(options: FakeKubeApiServerOptions = {}) {
    this.resources = [...builtinResources(), ...(options.crds ?? []).flatMap((p) => resourcesFromCrd(p))];
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1000;
    for (const r of this.resources) {
      const key = `${r.group}/${r.version}/${r.plural}`;
      const v = options.validators?.[r.plural];
      if (v && r.generation) this.store.validators.set(key, v);
      const d = options.defaulters?.[r.plural];
      if (d && r.generation) this.store.defaulters.set(key, d);
    }
  }

  /** Listens on 127.0.0.1 (random port unless given) and returns the base URL. */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.sendError(res, err));
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.dropWatches();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }

  /** The next `count` requests matching get `status` (e.g. 500) instead of being served. */
  injectFailure(f: InjectedFailure): void {
    this.failures.push({ count: 1, ...f });
  }

  /** Cuts every open watch stream (a dropped connection: the socket is destroyed mid-stream). */
  dropWatches(): void {
    for (const w of [...this.watches]) {
      w.close();
      w.res.socket?.destroy();
    }
  }

  /** Number of watch streams open now. */
  openWatches(): number {
    return this.watches.size;
  }

  /** Forgets the watch history: resuming from an older resourceVersion now yields 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  /** Finds a served resource by plural (first match across groups unless `group` is given). */
  resource(plural: string, group?: string): FakeResource {
    const r = this.resources.find((x) => x.plural === plural && (group === undefined || x.group === group));
    if (!r) throw new Error(`fake apiserver serves no ${plural}`);
    return r;
  }

  /** Seeds or reads objects directly, bypassing HTTP (for test setup). */
  seed(plural: string, obj: KObj, group?: string): KObj {
    const r = this.resource(plural, group);
    return this.store.create(r, obj.metadata.namespace, obj, false);
  }

  private route(path: string): Route | null {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api') [group, version, rest] = ['', parts[1], parts.slice(2)];
    else if (parts[0] === 'apis') [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
    else return null;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = this.resources.find(
      (r) => r.group === group && r.version === version && r.plural === rest[0],
    );
    if (!resource) return null;
    if (namespace && !resource.namespaced) return null;
    return { resource, namespace, name: rest[1], subresource: rest[2] };
  }

  private takeFailure(call: Omit<ApiCall, 'status'>): number | null {
    const i = this.failures.findIndex(
      (f) =>
        (f.verb === undefined || f.verb === call.verb) &&
        (f.resource === undefined || f.resource === call.resource) &&
        (f.subresource === undefined || f.subresource === call.subresource) &&
        (f.name === undefined || f.name === call.name),
    );
    if (i < 0) return null;
    const f = this.failures[i];
    f.count = (f.count ?? 1) - 1;
    if (f.count <= 0) this.failures.splice(i, 1);
    return f.status;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const p = url.pathname.replace(/\/$/, '');
    const q = url.searchParams;
    if (req.method === 'GET') {
      const doc = this.discovery(p);
      if (doc !== undefined) {
        if (doc === null)
          throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return this.send(res, 200, doc);
      }
    }
    const route = this.route(p);
    if (!route) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const { resource: r, namespace, name, subresource } = route;
    if (subresource && !(subresource === 'status' && r.statusSubresource))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const watching = q.get('watch') === 'true' || q.get('watch') === '1';
    const verb: ApiCall['verb'] = verbOf(req.method ?? 'GET', Boolean(name), watching);
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const call = {
      verb,
      group: r.group,
      resource: r.plural,
      subresource,
      namespace,
      name,
      token,
      at: performance.now(),
    };
    const injected = this.takeFailure(call);
    if (injected) {
      this.calls.push({ ...call, status: injected });
      throw new ApiError(
        injected,
        injected === 500 ? 'InternalError' : 'Injected',
        `injected failure ${injected}`,
      );
    }
    const dryRun = q.getAll('dryRun').includes('All');
    if (/protobuf/.test(String(req.headers['content-type'] ?? ''))) {
      // Typed kubectl commands (create secret) send protobuf; this fake speaks JSON only (apply sends JSON).
      this.calls.push({ ...call, status: 415 });
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        'the fake apiserver accepts JSON bodies only (no protobuf)',
      );
    }
    try {
      const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')
        ? await readBody(req)
        : undefined;
      if (verb === 'watch') {
        this.calls.push({ ...call, status: 200 });
        return this.watch(req, res, r, namespace, name, q);
      }
      const result = this.dispatch(
        verb,
        r,
        namespace,
        name,
        subresource,
        body,
        req.headers['content-type'] ?? '',
        dryRun,
        q,
      );
      this.calls.push({ ...call, status: verb === 'create' ? 201 : 200 });
      if (verb === 'list' && /as=Table/.test(String(req.headers.accept ?? ''))) {
        return this.send(res, 200, toTable(r, (result as KObj).items, this.store.currentRv()));
      }
      if (verb === 'get' && /as=Table/.test(String(req.headers.accept ?? ''))) {
        return this.send(res, 200, toTable(r, [result as KObj], this.store.currentRv()));
      }
      return this.send(res, verb === 'create' ? 201 : 200, result);
    } catch (err) {
      this.calls.push({ ...call, status: err instanceof ApiError ? err.code : 500 });
      throw err;
    }
  }

  private discovery(p: string): object | null | undefined {
    if (p === '/version')
      return {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-fake',
        platform: 'linux/amd64',
        goVersion: 'go1.23',
        compiler: 'gc',
        buildDate: '2026-01-01T00:00:00Z',
        gitCommit: 'fake',
        gitTreeState: 'clean',
      };
    if (p === '/api') return apiVersions();
    if (p === '/apis') return apiGroupList(this.resources);
    if (p === '/healthz' || p === '/readyz' || p === '/livez') return { status: 'ok' };
    const parts = p.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) return apiResourceList(this.resources, '', parts[1]);
    if (parts[0] === 'apis' && parts.length === 2) return apiGroupDoc(this.resources, parts[1]);
    if (parts[0] === 'apis' && parts.length === 3) return apiResourceList(this.resources, parts[1], parts[2]);
    if (parts[0] === 'openapi') return null;
    return undefined;
  }

  private dispatch(
    verb: ApiCall['verb'],
    r: FakeResource,
    namespace: string | undefined,
    name: string | undefined,
    subresource: string | undefined,
    body: unknown,
    contentType: string,
    dryRun: boolean,
    q: URLSearchParams,
  ): unknown {
    switch (verb) {
      case 'get':
        return this.store.get(r, namespace, name!);
      case 'list': {
        const items = this.store.list(r, namespace).filter((o) => matchesSelectors(o, q));
        return {
          apiVersion: groupVersion(r),
          kind: `${r.kind}List`,
          metadata: { resourceVersion: this.store.currentRv() },
          items,
        };
      }
      case 'create':
        return this.store.create(r, namespace, asObject(body), dryRun);
      case 'update':
        return this.store.update(r, namespace, name!, asObject(body), subresource, dryRun);
      case 'patch': {
        const current = this.store.get(r, namespace, name!);
        const patched = applyPatch(r, current, body, contentType);
        // A resourceVersion inside the patch is a precondition, as in the real apiserver.
        if (!patched.metadata?.resourceVersion)
          patched.metadata = { ...patched.metadata, resourceVersion: current.metadata.resourceVersion };
        return this.store.update(r, namespace, name!, patched, subresource, dryRun);
      }
      case 'delete': {
        const opts = (body && typeof body === 'object' ? body : {}) as {
          preconditions?: { resourceVersion?: string };
        };
        return this.store.delete(r, namespace, name!, dryRun, opts.preconditions?.resourceVersion);
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${verb} is not supported`);
    }
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    r: FakeResource,
    namespace: string | undefined,
    name: string | undefined,
    q: URLSearchParams,
  ): void {
    const fromRv = q.get('resourceVersion') ?? '';
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // the real apiserver answers headers at once, before any event
    const write = (type: string, object: unknown): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const matches = (o: KObj): boolean =>
      (!namespace || o.metadata.namespace === namespace) &&
      (!name || o.metadata.name === name) &&
      matchesSelectors(o, q);
    if (fromRv !== '' && fromRv !== '0' && Number(fromRv) < this.store.compactedRv) {
      // What kube-apiserver does: 200, one ERROR event carrying a 410 Status, then the stream ends.
      this.expiredWatches++;
      write('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${fromRv} (${this.store.compactedRv})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    if (fromRv === '' || fromRv === '0') {
      for (const o of this.store.list(r, namespace)) if (matches(o)) write('ADDED', o);
    } else {
      for (const e of this.store.history)
        if (e.resource === r && e.rv > Number(fromRv) && matches(e.object)) write(e.type, e.object);
    }
    const unsubscribe = this.store.onEvent((e: WatchEvent) => {
      if (e.resource === r && matches(e.object)) write(e.type, e.object);
    });
    const bookmarks =
      q.get('allowWatchBookmarks') === 'true'
        ? setInterval(
            () =>
              write('BOOKMARK', {
                kind: r.kind,
                apiVersion: groupVersion(r),
                metadata: { resourceVersion: this.store.currentRv() },
              }),
            this.bookmarkIntervalMs,
          )
        : null;
    const timeout = q.get('timeoutSeconds')
      ? setTimeout(() => close(), Number(q.get('timeoutSeconds')) * 1000)
      : null;
    const entry = { res, close: () => close() };
    const close = (): void => {
      unsubscribe();
      if (bookmarks) clearInterval(bookmarks);
      if (timeout) clearTimeout(timeout);
      this.watches.delete(entry);
      if (!res.writableEnded) res.end();
    };
    this.watches.add(entry);
    req.on('close', close);
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const data = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
  }

  private sendError(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const e =
      err instanceof ApiError
        ? err
        : new ApiError(500, 'InternalError', err instanceof Error ? err.message : String(err));
    this.send(res, e.code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: e.message,
      reason: e.reason,
      code: e.code,
      ...(e.causes.length ? { details: { causes: e.causes } } : {}),
    });
  }
}

function verbOf(method: string, named: boolean, watching: boolean): ApiCall['verb'] {
  switch (method) {
    case 'GET':
      return watching ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      throw new ApiError(405, 'MethodNotAllowed', `method ${method} is not allowed`);
  }
}

function applyPatch(r: FakeResource, current: KObj, body: unknown, contentType: string): KObj {
  const type = contentType.split(';')[0].trim();
  try {
    if (type === 'application/merge-patch+json') return mergePatch(current, body) as KObj;
    if (type === 'application/json-patch+json') return jsonPatch(current, body) as KObj;
    if (type === 'application/strategic-merge-patch+json') {
      // Custom resources do not support strategic merge patch; built-ins here have no list merge keys we use.
      if (r.generation)
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        );
      return mergePatch(current, body) as KObj;
    }
  } catch (err) {
    if (err instanceof PatchError) throw new ApiError(422, 'Invalid', err.message);
    throw err;
  }
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json`,
  );
}

function asObject(body: unknown): KObj {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError(400, 'BadRequest', 'the request body must be an object');
  const o = body as KObj;
  if (!o.metadata) o.metadata = {};
  return o;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'BadRequest', 'the request body is not valid JSON');
  }
}

/** Equality-based label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`) and `metadata.name`/`metadata.namespace` field selectors. */
export function matchesSelectors(o: KObj, q: URLSearchParams): boolean {
  const labels: Record<string, string> = o.metadata.labels ?? {};
  for (const term of (q.get('labelSelector') ?? '').split(',').filter(Boolean)) {
    const m = /^\s*(!?)([^=!\s]+)\s*(?:(==|=|!=)\s*(\S*))?\s*$/.exec(term);
    if (!m) return false;
    const [, not, key, op, value] = m;
    if (!op) {
      if (not ? key in labels : !(key in labels)) return false;
    } else if (op === '!=' ? labels[key] === value : labels[key] !== value) return false;
  }
  for (const term of (q.get('fieldSelector') ?? '').split(',').filter(Boolean)) {
    const m = /^([\w.]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) return false;
    // Any dotted field path (metadata.name, involvedObject.name, type, ...), compared as a string.
    const raw = m[1]
      .split('.')
      .reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        o,
      );
    const actual = raw === undefined || raw === null ? '' : String(raw);
    if (m[2] === '!=' ? actual === m[3] : actual !== m[3]) return false;
  }
  return true;
}

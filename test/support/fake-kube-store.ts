import { randomUUID } from 'node:crypto';
import { groupVersion, type FakeResource } from './fake-kube-resources.js';

/** A Kubernetes object as plain JSON. */
export type KObj = Record<string, any> & { metadata: Record<string, any> };

/** An error the apiserver turns into a `Status` response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly causes: Array<{ field?: string; message: string }> = [],
  ) {
    super(message);
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  resource: FakeResource;
  object: KObj;
}

export type Validator = (obj: KObj) => Array<{ path: string; message: string }>;
export type Defaulter = (obj: KObj) => KObj;

/** Secrets: `stringData` is write-only and merged into base64 `data`, as the apiserver does. */
function normalize(r: FakeResource, obj: KObj): KObj {
  if (r.kind === 'Secret' && r.group === '' && obj.stringData) {
    obj.data = { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData as Record<string, string>))
      obj.data[k] = Buffer.from(v).toString('base64');
    delete obj.stringData;
  }
  return obj;
}

function rkey(r: FakeResource): string {
  return `${r.group}/${r.version}/${r.plural}`;
}

function okey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Everything except metadata and status: a change here bumps `metadata.generation`. */
function specPart(obj: KObj): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

/**
 * The object store behind the fake apiserver: one global resourceVersion counter, an event
 * history for watches (compactable, to produce 410 Gone), and the write semantics of the real
 * apiserver (generation, status subresource, optimistic concurrency, finalizers, dry run).
 */
export class FakeKubeStore {
  private readonly objects = new Map<string, Map<string, KObj>>();
  private rv = 100;
  /** Oldest resourceVersion a watch may resume from; older ones get 410 Gone. */
  compactedRv = 100;
  readonly history: WatchEvent[] = [];
  private readonly listeners = new Set<(e: WatchEvent) => void>();
  readonly validators = new Map<string, Validator>();
  readonly defaulters = new Map<string, Defaulter>();

  currentRv(): string {
    return String(this.rv);
  }

  onEvent(fn: (e: WatchEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Forgets history up to now, so any watch resuming from an older resourceVersion gets 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  private bucket(r: FakeResource): Map<string, KObj> {
    let b = this.objects.get(rkey(r));
    if (!b) this.objects.set(rkey(r), (b = new Map()));
    return b;
  }

  private emit(type: WatchEvent['type'], resource: FakeResource, object: KObj): void {
    const e: WatchEvent = {
      type,
      rv: Number(object.metadata.resourceVersion),
      resource,
      object: structuredClone(object),
    };
    this.history.push(e);
    if (this.history.length > 5000) this.history.splice(0, 1000);
    for (const l of this.listeners) l(e);
  }

  private validate(r: FakeResource, obj: KObj): void {
    const v = this.validators.get(rkey(r));
    if (!v) return;
    const errors = v(obj);
    if (errors.length > 0) {
      const msg = errors.map((e) => `${e.path}: ${e.message}`).join(', ');
      throw new ApiError(
        422,
        'Invalid',
        `${r.kind}.${r.group} "${obj.metadata.name}" is invalid: ${msg}`,
        errors.map((e) => ({ field: e.path, message: e.message })),
      );
    }
  }

  private applyDefaults(r: FakeResource, obj: KObj): KObj {
    const d = this.defaulters.get(rkey(r));
    return d ? d(obj) : obj;
  }

  get(r: FakeResource, namespace: string | undefined, name: string): KObj {
    const obj = this.bucket(r).get(okey(namespace, name));
    if (!obj)
      throw new ApiError(404, 'NotFound', `${r.plural}${r.group ? '.' + r.group : ''} "${name}" not found`);
    return structuredClone(obj);
  }

  list(r: FakeResource, namespace: string | undefined): KObj[] {
    return [...this.bucket(r).values()]
      .filter((o) => !namespace || o.metadata.namespace === namespace)
      .map((o) => structuredClone(o));
  }

  create(r: FakeResource, namespace: string | undefined, body: KObj, dryRun: boolean): KObj {
    const meta = body.metadata ?? {};
    const name: string | undefined =
      meta.name ?? (meta.generateName ? `${meta.generateName}${randomUUID().slice(0, 5)}` : undefined);
    if (!name)
      throw new ApiError(
        422,
        'Invalid',
        `${r.kind} is invalid: metadata.name: Required value: name or generateName is required`,
      );
    if (r.namespaced && meta.namespace && namespace && meta.namespace !== namespace)
      throw new ApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    if (this.bucket(r).has(okey(r.namespaced ? namespace : undefined, name)))
      throw new ApiError(
        409,
        'AlreadyExists',
        `${r.plural}${r.group ? '.' + r.group : ''} "${name}" already exists`,
      );
    let obj: KObj = structuredClone({ ...body, apiVersion: groupVersion(r), kind: r.kind });
    obj.metadata = {
      ...meta,
      name,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    delete obj.metadata.generateName;
    delete obj.metadata.deletionTimestamp;
    if (r.namespaced) obj.metadata.namespace = namespace ?? 'default';
    else delete obj.metadata.namespace;
    if (r.statusSubresource && r.generation) delete obj.status; // the CR status is reset on create
    if (r.generation) obj.metadata.generation = 1;
    obj = normalize(r, this.applyDefaults(r, obj));
    this.validate(r, obj);
    if (dryRun) return obj;
    obj.metadata.resourceVersion = String(++this.rv);
    this.bucket(r).set(okey(obj.metadata.namespace, name), obj);
    this.emit('ADDED', r, obj);
    return structuredClone(obj);
  }

  /**
   * Writes a new version of an object (PUT, or the result of a PATCH). `subresource` 'status'
   * keeps everything but status; the main resource keeps status when the status subresource exists.
   */
  update(
    r: FakeResource,
    namespace: string | undefined,
    name: string,
    body: KObj,
    subresource: string | undefined,
    dryRun: boolean,
  ): KObj {
    const b = this.bucket(r);
    const key = okey(r.namespaced ? namespace : undefined, name);
    const old = b.get(key);
    if (!old)
      throw new ApiError(404, 'NotFound', `${r.plural}${r.group ? '.' + r.group : ''} "${name}" not found`);
    if (body.metadata?.name && body.metadata.name !== name)
      throw new ApiError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    const wantRv = body.metadata?.resourceVersion;
    if (wantRv && wantRv !== old.metadata.resourceVersion)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.plural}${r.group ? '.' + r.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    let next: KObj;
    if (subresource === 'status') {
      next = structuredClone(old);
      if (body.status === undefined) delete next.status;
      else next.status = structuredClone(body.status);
    } else {
      next = structuredClone({ ...body, apiVersion: groupVersion(r), kind: r.kind }) as KObj;
      // Immutable and server-owned metadata stays as it was.
      next.metadata = {
        ...(body.metadata ?? {}),
        name,
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        ...(old.metadata.namespace ? { namespace: old.metadata.namespace } : {}),
        ...(old.metadata.deletionTimestamp ? { deletionTimestamp: old.metadata.deletionTimestamp } : {}),
        ...(r.generation ? { generation: old.metadata.generation } : {}),
      };
      if (r.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = structuredClone(old.status);
      }
      if (old.metadata.deletionTimestamp) {
        const before = new Set<string>(old.metadata.finalizers ?? []);
        const added = (next.metadata.finalizers ?? []).filter((f: string) => !before.has(f));
        if (added.length > 0)
          throw new ApiError(
            422,
            'Invalid',
            `${r.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted`,
          );
      }
      next = normalize(r, this.applyDefaults(r, next));
      if (r.generation && specPart(next) !== specPart(old))
        next.metadata.generation = (old.metadata.generation ?? 1) + 1;
      this.validate(r, next);
    }
    if (dryRun) return next;
    if (JSON.stringify(next) === JSON.stringify({ ...old })) return structuredClone(old); // no-op writes keep the resourceVersion
    next.metadata.resourceVersion = String(++this.rv);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      b.delete(key);
      this.emit('DELETED', r, next);
      return structuredClone(next);
    }
    b.set(key, next);
    this.emit('MODIFIED', r, next);
    return structuredClone(next);
  }

  /** DELETE: with finalizers the object only gets a deletionTimestamp; without, it is gone. */
  delete(
    r: FakeResource,
    namespace: string | undefined,
    name: string,
    dryRun: boolean,
    preconditionRv?: string,
  ): KObj {
    const b = this.bucket(r);
    const key = okey(r.namespaced ? namespace : undefined, name);
    const old = b.get(key);
    if (!old)
      throw new ApiError(404, 'NotFound', `${r.plural}${r.group ? '.' + r.group : ''} "${name}" not found`);
    if (preconditionRv && preconditionRv !== old.metadata.resourceVersion)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.plural} "${name}": the ResourceVersion in the precondition does not match`,
      );
    if (dryRun) return structuredClone(old);
    if ((old.metadata.finalizers ?? []).length > 0) {
      if (old.metadata.deletionTimestamp) return structuredClone(old);
      const next = structuredClone(old);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      next.metadata.resourceVersion = String(++this.rv);
      b.set(key, next);
      this.emit('MODIFIED', r, next);
      return structuredClone(next);
    }
    b.delete(key);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', r, gone);
    return gone;
  }
}

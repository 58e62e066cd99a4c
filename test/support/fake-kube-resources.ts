import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';

/** One API resource the fake serves (what discovery advertises and the router dispatches on). */
export interface FakeResource {
  group: string; // '' for core
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Has a `/status` subresource: the main resource ignores status, `/status` ignores everything else. */
  statusSubresource?: boolean;
  /** Tracks `metadata.generation` (bumped on spec changes only). */
  generation?: boolean;
  printerColumns?: Array<{
    name: string;
    type: string;
    jsonPath: string;
    description?: string;
    priority?: number;
  }>;
  /** Structural schema of the CRD (for the record; validation goes through `validate`). */
  schema?: unknown;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Built-in resources the operator touches: Secrets, Nodes, Events (core and events.k8s.io), Leases, Namespaces. */
export function builtinResources(): FakeResource[] {
  return [
    {
      group: '',
      version: 'v1',
      plural: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
    },
    { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true },
    {
      group: '',
      version: 'v1',
      plural: 'nodes',
      singular: 'node',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      statusSubresource: true,
    },
    {
      group: '',
      version: 'v1',
      plural: 'events',
      singular: 'event',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
    },
    {
      group: 'events.k8s.io',
      version: 'v1',
      plural: 'events',
      singular: 'event',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
    },
    {
      group: 'coordination.k8s.io',
      version: 'v1',
      plural: 'leases',
      singular: 'lease',
      kind: 'Lease',
      namespaced: true,
    },
  ];
}

interface CrdDoc {
  spec: {
    group: string;
    scope: string;
    names: { plural: string; singular: string; kind: string; shortNames?: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      subresources?: { status?: object };
      additionalPrinterColumns?: FakeResource['printerColumns'];
      schema?: { openAPIV3Schema?: unknown };
    }>;
  };
}

/** Reads a CustomResourceDefinition YAML into the resources it serves (one per served version). */
export function resourcesFromCrd(crdPath: string): FakeResource[] {
  const crd = loadYaml(readFileSync(crdPath, 'utf8')) as CrdDoc;
  return crd.spec.versions
    .filter((v) => v.served)
    .map((v) => ({
      group: crd.spec.group,
      version: v.name,
      plural: crd.spec.names.plural,
      singular: crd.spec.names.singular,
      kind: crd.spec.names.kind,
      namespaced: crd.spec.scope === 'Namespaced',
      shortNames: crd.spec.names.shortNames,
      statusSubresource: Boolean(v.subresources?.status),
      generation: true,
      printerColumns: v.additionalPrinterColumns,
      schema: v.schema?.openAPIV3Schema,
    }));
}

/** `group/version` as it appears in apiVersion. */
export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `/api` (legacy core discovery). */
export function apiVersions(): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
  };
}

function groupsOf(resources: FakeResource[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    if (!r.group) continue;
    const vs = groups.get(r.group) ?? [];
    if (!vs.includes(r.version)) vs.push(r.version);
    groups.set(r.group, vs);
  }
  return groups;
}

function apiGroup(name: string, versions: string[]): object {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: vs, preferredVersion: vs[0] };
}

/** `/apis` (legacy group discovery). */
export function apiGroupList(resources: FakeResource[]): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groupsOf(resources)].map(([n, vs]) => apiGroup(n, vs)),
  };
}

/** `/apis/<group>`, or null when the group is unknown. */
export function apiGroupDoc(resources: FakeResource[], group: string): object | null {
  const vs = groupsOf(resources).get(group);
  return vs ? apiGroup(group, vs) : null;
}

/** `/api/v1` or `/apis/<group>/<version>`: the resource list, with subresources and short names. */
export function apiResourceList(resources: FakeResource[], group: string, version: string): object | null {
  const rs = resources.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return null;
  const list: object[] = [];
  for (const r of rs) {
    list.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.generation ? { categories: ['all'] } : {}),
    });
    if (r.statusSubresource)
      list.push({
        name: `${r.plural}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['get', 'patch', 'update'],
      });
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion({ group, version }),
    resources: list,
  };
}

/** Evaluates the simple JSONPath forms CRD printer columns use (`.a.b`, `.a[0].b`, `.a[?(@.k=="v")].b`). */
export function evalJsonPath(obj: unknown, path: string): unknown {
  const tokens =
    path
      .replace(/^\{?\.?/, '')
      .replace(/\}$/, '')
      .match(/[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let cur: unknown = obj;
  for (const t of tokens) {
    if (cur === undefined || cur === null) return undefined;
    if (t.startsWith('[?(')) {
      const m = /^\[\?\(@\.(\w+)\s*==\s*["']([^"']*)["']\)\]$/.exec(t);
      cur =
        m && Array.isArray(cur)
          ? cur.find((e: Record<string, unknown>) => String(e?.[m[1]]) === m[2])
          : undefined;
    } else if (t.startsWith('[')) {
      cur = Array.isArray(cur) ? cur[Number(t.slice(1, -1))] : undefined;
    } else cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

/** Server-side printing (`Accept: ...;as=Table;g=meta.k8s.io`), as kubectl get asks for it. */
export function toTable(
  resource: FakeResource,
  items: Array<Record<string, any>>,
  resourceVersion: string,
): object {
  const extra = resource.printerColumns ?? [
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
  const columnDefinitions = [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    },
    ...extra.map((c) => ({
      name: c.name,
      type: c.type,
      format: '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
  const rows = items.map((obj) => ({
    cells: [obj.metadata.name, ...extra.map((c) => cell(evalJsonPath(obj, c.jsonPath), c.type))],
    object: {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: obj.metadata,
    },
  }));
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions,
    rows,
  };
}

function cell(v: unknown, type: string): unknown {
  if (v === undefined || v === null) return null;
  if (type === 'date' && typeof v === 'string') return humanAge(Date.now() - Date.parse(v));
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

/** kube's duration.HumanDuration, enough for tests: 5s, 3m, 2h, 4d. */
export function humanAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 3) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/**
 * Kubernetes RBAC evaluation for the chart tests: decides whether recorded API calls are allowed by
 * rendered ClusterRoles and Roles, the way the RBAC authorizer does (apiGroups, resources with
 * subresources, verbs, resourceNames; Roles only inside their namespace).
 */
import type { K8sObject } from './chart.js';

/** One API call in RBAC terms: the format the fake API server records (test/support/fake-kube-apiserver.ts). */
export interface RbacCall {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

/** Rules granted to one subject, each with the namespace it applies in (undefined: cluster-wide). */
export interface Grant {
  rule: PolicyRule;
  namespace?: string;
  source: string;
}

/** The rules bound to a ServiceAccount through the rendered (Cluster)RoleBindings. */
export function grantsFor(objects: K8sObject[], serviceAccount: string, saNamespace: string): Grant[] {
  const isSubject = (b: K8sObject): boolean =>
    (b.subjects ?? []).some(
      (s: { kind: string; name: string; namespace?: string }) =>
        s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === saNamespace,
    );
  const grants: Grant[] = [];
  for (const b of objects.filter(
    (o) => (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && isSubject(o),
  )) {
    const role = objects.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name);
    if (!role)
      throw new Error(`${b.kind}/${b.metadata.name} refers to missing ${b.roleRef.kind}/${b.roleRef.name}`);
    // A RoleBinding scopes even a ClusterRole to its own namespace.
    const namespace = b.kind === 'RoleBinding' ? b.metadata.namespace : undefined;
    for (const rule of role.rules as PolicyRule[])
      grants.push({ rule, namespace, source: `${role.kind}/${role.metadata.name}` });
  }
  return grants;
}

/** The resource string RBAC matches: `pods`, or `pods/status` for a subresource. */
export function resourceString(call: RbacCall): string {
  return call.subresource ? `${call.resource}/${call.subresource}` : call.resource;
}

/** Whether one rule allows one call (RBAC's RuleAllows). */
export function ruleAllows(rule: PolicyRule, call: RbacCall): boolean {
  const has = (list: string[] | undefined, value: string): boolean =>
    (list ?? []).includes('*') || (list ?? []).includes(value);
  if (!has(rule.verbs, call.verb) || !has(rule.apiGroups, call.group)) return false;
  const res = resourceString(call);
  const resources = rule.resources ?? [];
  const resourceOk =
    resources.includes('*') ||
    resources.includes(res) ||
    (call.subresource !== undefined && resources.includes(`*/${call.subresource}`));
  if (!resourceOk) return false;
  if (!rule.resourceNames || rule.resourceNames.length === 0) return true;
  // A name-restricted rule never matches a request without a name (create, list, watch of a collection).
  return call.name !== undefined && rule.resourceNames.includes(call.name);
}

/** The grants allowing a call; empty means the API server would answer 403. */
export function allowingGrants(grants: Grant[], call: RbacCall): Grant[] {
  return grants.filter(
    (g) => (g.namespace === undefined || g.namespace === call.namespace) && ruleAllows(g.rule, call),
  );
}

/** Stable identity of a call for de-duplication and reports. */
export function callKey(call: RbacCall): string {
  return [call.verb, call.group || 'core', resourceString(call), call.namespace ?? '*', call.name ?? ''].join(
    ' ',
  );
}

/** Resources the chart's RBAC restricts by name: only their calls keep the object name. */
export const NAMED_RESOURCES = new Set(['secrets', 'leases']);

/**
 * Calls without status and duplicates, sorted: the committed fixture's shape. Object names are kept
 * only where RBAC restricts by name, so test-generated job names do not bloat the fixture.
 */
export function normalizeCalls(calls: readonly RbacCall[]): RbacCall[] {
  const byKey = new Map<string, RbacCall>();
  for (const c of calls) {
    const n: RbacCall = { verb: c.verb, group: c.group, resource: c.resource };
    if (c.subresource) n.subresource = c.subresource;
    if (c.namespace) n.namespace = c.namespace;
    if (c.name && NAMED_RESOURCES.has(c.resource)) n.name = c.name;
    byKey.set(callKey(n), n);
  }
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, c]) => c);
}

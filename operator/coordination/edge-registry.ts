import { EDGE_NODE_STATE, type EdgeNodeStatus } from '../../lib/api/v1alpha1/index.js';
import type { AgentJobReport, HeartbeatRequest } from '../../lib/protocol/heartbeat.js';
import { jobKey } from '../ports/job-store.js';
import type { NodeView } from '../state-machine/rollout.js';

interface NodeRecord {
  name: string;
  /** The Node object's labels (never the agent's word). */
  labels: Record<string, string>;
  lastSeen: number;
  /** Reports with counters as accepted by the operator (see {@link EdgeRegistry.record}). */
  reports: Map<string, AgentJobReport>;
  /** Counters exactly as the agent last sent them, per job key, to compute increments. */
  raw: Map<string, Counters>;
  /** Error/inference counters when the node first served a version, per job key. */
  baselines: Map<string, { version: string; errors: number; inferences: number }>;
}

const COUNTERS = ['samplesUploaded', 'samplesDropped', 'inferences', 'inferenceErrors'] as const;
type Counters = Record<(typeof COUNTERS)[number], number>;

/** How long nodes are remembered and how much one heartbeat may add to a counter. */
export interface EdgeRegistryLimits {
  /** A node silent this long is Stale. */
  staleAfterMs: number;
  /** A node silent this long is forgotten (gone from status.edgeNodes). */
  evictAfterMs: number;
  /** Most a counter (or the queued gauge) may grow by in one heartbeat. */
  maxCounterIncrement: number;
}

/** A selected node with what the status needs. */
export type SelectedNode = NodeView;

/** A node known only from a job's status (written before a restart), until it heartbeats. */
interface RestoredNode {
  lastSeen: number;
  stale: boolean;
  /** When this registry learnt of it: an Online node gets staleAfterMs from then to heartbeat. */
  restoredAt: number;
  /** The totals the status held, taken up (once) by the node's first report for the job. */
  counters?: Partial<Counters>;
}

/** The counters a `status.edgeNodes` entry carries, so totals survive an operator restart. */
function statusCounters(n: EdgeNodeStatus): Partial<Counters> {
  return {
    samplesUploaded: n.samplesUploaded ?? 0,
    inferences: n.inferences ?? 0,
    inferenceErrors: n.inferenceErrors ?? 0,
  };
}

/**
 * In-memory view of the edge, fed by authenticated heartbeats. Nodes that stop heartbeating stay
 * as stale for a while (so `status.edgeNodes` shows them), then are evicted.
 */
export class EdgeRegistry {
  private readonly nodes = new Map<string, NodeRecord>();
  /** Per job key, the nodes its status listed when this registry first saw the job. */
  private readonly restored = new Map<string, Map<string, RestoredNode>>();
  /** Nodes by label pair, so a job finds its selected nodes without scanning the fleet. */
  private readonly byLabel = new Map<string, Set<NodeRecord>>();
  private readonly limits: EdgeRegistryLimits;

  constructor(limits: Partial<EdgeRegistryLimits> & { staleAfterMs: number }) {
    this.limits = {
      evictAfterMs: Math.max(limits.staleAfterMs * 2, 3_600_000),
      maxCounterIncrement: 10_000,
      ...limits,
    };
  }

  /**
   * Records a heartbeat; returns the job keys whose report changed in a way the rollout cares about.
   * Counters are cumulative on the agent; the operator accepts only increments, each at most
   * `maxCounterIncrement`, so a node cannot rewrite history or inflate a job's figures at once. A
   * counter that went down means the agent restarted and counts from zero again.
   */
  record(hb: HeartbeatRequest, labels: Record<string, string>, nowMs: number): string[] {
    let node = this.nodes.get(hb.node);
    const isNew = !node;
    const wasStale = node ? this.isStale(node, nowMs) : false;
    if (!node) {
      node = {
        name: hb.node,
        labels: {},
        lastSeen: nowMs,
        reports: new Map(),
        raw: new Map(),
        baselines: new Map(),
      };
      this.nodes.set(hb.node, node);
    }
    this.relabel(node, labels);
    node.lastSeen = nowMs;
    const changed = new Set<string>();
    const seen = new Set<string>();
    for (const sent of hb.jobs) {
      const key = jobKey(sent.job);
      seen.add(key);
      const before = node.reports.get(key);
      // After an operator restart the status's totals are the base, and also what the agent's
      // counters are taken to have reached: a running agent is not counted twice, a restarted one
      // (counters below the base) adds to it.
      const restored = before ? undefined : this.takeRestoredCounters(key, node.name);
      const report = this.accept(sent, before ?? restored, node.raw.get(key) ?? restored);
      node.raw.set(key, pickCounters(sent));
      if (
        isNew ||
        wasStale ||
        !before ||
        before.activeModel !== report.activeModel ||
        before.targetModel !== report.targetModel ||
        before.modelState !== report.modelState ||
        report.inferenceErrors - before.inferenceErrors > 0
      )
        changed.add(key);
      node.reports.set(key, report);
      const base = node.baselines.get(key);
      if (report.activeModel && (!base || base.version !== report.activeModel))
        node.baselines.set(key, {
          version: report.activeModel,
          errors: report.inferenceErrors,
          inferences: report.inferences,
        });
    }
    for (const key of [...node.reports.keys()]) {
      if (!seen.has(key)) {
        node.reports.delete(key);
        node.raw.delete(key);
        node.baselines.delete(key);
        changed.add(key);
      }
    }
    return [...changed];
  }

  /** The report with counters replaced by accepted totals (see {@link record}). */
  private accept(
    sent: AgentJobReport,
    before: Partial<Counters> | undefined,
    raw: Partial<Counters> | undefined,
  ): AgentJobReport {
    const cap = this.limits.maxCounterIncrement;
    const report: AgentJobReport = { ...sent, samplesQueued: Math.min(sent.samplesQueued, cap) };
    for (const c of COUNTERS) {
      const last = raw?.[c] ?? 0;
      const increment = sent[c] >= last ? sent[c] - last : sent[c];
      report[c] = (before?.[c] ?? 0) + Math.min(increment, cap);
    }
    return report;
  }

  /**
   * Rebuilds what an earlier operator knew of a job's nodes from its `status.edgeNodes`, once per
   * job: after a restart or failover the nodes it listed stay selected (without a report) until
   * they heartbeat here, so a rollout waits for their live word instead of completing without it.
   * A node listed Online counts as online for `staleAfterMs` from now (no one heard it meanwhile).
   */
  restore(key: string, edgeNodes: readonly EdgeNodeStatus[], nowMs: number): void {
    if (this.restored.has(key)) return;
    const known = new Map<string, RestoredNode>();
    for (const n of edgeNodes) {
      const lastSeen = n.lastSeen ? Date.parse(n.lastSeen) : NaN;
      const report = this.nodes.get(n.name)?.reports.get(key);
      if (report) {
        // It reported here before this job was first reconciled: as in record(), a count below
        // the earlier total means the agent restarted and adds to it.
        for (const [c, v] of Object.entries(statusCounters(n)) as Array<[keyof Counters, number]>)
          if (report[c] < v) report[c] += v;
        continue;
      }
      if (Number.isNaN(lastSeen)) continue;
      known.set(n.name, {
        lastSeen,
        stale: n.state !== EDGE_NODE_STATE.Online,
        restoredAt: nowMs,
        counters: statusCounters(n),
      });
    }
    this.restored.set(key, known);
  }

  /** A restored node's totals for a job, handed out once (to its first report here). */
  private takeRestoredCounters(key: string, node: string): Partial<Counters> | undefined {
    const restored = this.restored.get(key)?.get(node);
    const counters = restored?.counters;
    if (restored) delete restored.counters;
    return counters;
  }

  /** Forgets nodes silent for longer than `evictAfterMs`; returns the job keys they reported. */
  evict(nowMs: number): string[] {
    const keys = new Set<string>();
    for (const [key, known] of this.restored)
      for (const [name, r] of known)
        if (nowMs - Math.max(r.lastSeen, r.restoredAt) > this.limits.evictAfterMs) {
          known.delete(name);
          keys.add(key);
        }
    for (const [name, n] of this.nodes) {
      if (nowMs - n.lastSeen <= this.limits.evictAfterMs) continue;
      for (const key of n.reports.keys()) keys.add(key);
      this.relabel(n, {});
      this.nodes.delete(name);
    }
    return [...keys];
  }

  /** Forgets a node at once (its Node object is gone); returns the job keys it reported. */
  forget(name: string): string[] {
    const node = this.nodes.get(name);
    if (!node) return [];
    this.relabel(node, {});
    this.nodes.delete(name);
    return [...node.reports.keys()];
  }

  /** Number of nodes remembered (online or stale). */
  get size(): number {
    return this.nodes.size;
  }

  private isStale(node: NodeRecord, nowMs: number): boolean {
    return nowMs - node.lastSeen > this.limits.staleAfterMs;
  }

  /** Replaces a node's labels with the Node object's current ones (for agents that are offline). */
  setNodeLabels(name: string, labels: Record<string, string>): void {
    const node = this.nodes.get(name);
    if (node) this.relabel(node, labels);
  }

  /** Sets a node's labels and keeps {@link byLabel} in step. */
  private relabel(node: NodeRecord, labels: Record<string, string>): void {
    if (node.labels === labels) return;
    for (const pair of labelPairs(node.labels)) {
      const set = this.byLabel.get(pair)!;
      set.delete(node);
      if (set.size === 0) this.byLabel.delete(pair);
    }
    node.labels = labels;
    for (const pair of labelPairs(labels)) {
      let set = this.byLabel.get(pair);
      if (!set) this.byLabel.set(pair, (set = new Set()));
      set.add(node);
    }
  }

  /** Nodes that may match a selector: those with its rarest label pair (every node for an empty one). */
  private candidates(selector: Record<string, string>): Iterable<NodeRecord> {
    let smallest: Iterable<NodeRecord> | null = null;
    let size = Infinity;
    for (const pair of labelPairs(selector)) {
      const set = this.byLabel.get(pair);
      if (!set) return [];
      if (set.size < size) [smallest, size] = [set, set.size];
    }
    return smallest ?? this.nodes.values();
  }

  /** Names of nodes whose agent is stale now. */
  staleNodes(nowMs: number): string[] {
    return [...this.nodes.values()].filter((n) => this.isStale(n, nowMs)).map((n) => n.name);
  }

  /** Labels last known for a node. */
  labelsOf(name: string): Record<string, string> | undefined {
    return this.nodes.get(name)?.labels;
  }

  /**
   * The nodes a job selects (matching labels), online or stale, with their report for the job;
   * plus the nodes restored from its status that have not heartbeat here yet (no report).
   */
  selectedNodes(key: string, selector: Record<string, string>, nowMs: number): SelectedNode[] {
    const out: SelectedNode[] = [];
    for (const [name, r] of this.restored.get(key) ?? []) {
      if (this.nodes.has(name)) continue;
      const stale = r.stale || nowMs - Math.max(r.lastSeen, r.restoredAt) > this.limits.staleAfterMs;
      out.push({ name, stale, lastSeen: new Date(r.lastSeen) });
    }
    for (const n of this.candidates(selector)) {
      if (!matchesSelector(n.labels, selector)) continue;
      const report = n.reports.get(key);
      const base = n.baselines.get(key);
      const sinceTarget = report && base && base.version === report.activeModel;
      out.push({
        name: n.name,
        stale: this.isStale(n, nowMs),
        lastSeen: new Date(n.lastSeen),
        ...(report ? { report } : {}),
        errorsSinceTarget: sinceTarget ? report.inferenceErrors - base.errors : 0,
        inferencesSinceTarget: sinceTarget ? report.inferences - base.inferences : 0,
      });
    }
    return out;
  }

  /** Nodes that still report a job (to know whether a drop has been acknowledged). */
  nodesReporting(key: string, nowMs: number): string[] {
    return [...this.nodes.values()]
      .filter((n) => n.reports.has(key) && !this.isStale(n, nowMs))
      .map((n) => n.name);
  }

  /** Count of nodes by state, for metrics. */
  countByState(nowMs: number): { online: number; stale: number } {
    let stale = 0;
    for (const n of this.nodes.values()) if (this.isStale(n, nowMs)) stale++;
    return { online: this.nodes.size - stale, stale };
  }
}

function pickCounters(r: AgentJobReport): Counters {
  return {
    samplesUploaded: r.samplesUploaded,
    samplesDropped: r.samplesDropped,
    inferences: r.inferences,
    inferenceErrors: r.inferenceErrors,
  };
}

function labelPairs(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}\u0000${v}`);
}

/** Kubernetes nodeSelector semantics: every key must be present with the same value. */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector))
    if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
  return true;
}

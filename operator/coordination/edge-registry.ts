import type { AgentJobReport, HeartbeatRequest } from '../../lib/protocol/heartbeat.js';
import { jobKey } from '../ports/job-store.js';
import type { NodeView } from '../state-machine/rollout.js';

interface NodeRecord {
  name: string;
  labels: Record<string, string>;
  /** Labels came from the agent (true) or from the Node object (false). */
  labelsFromAgent: boolean;
  lastSeen: number;
  reports: Map<string, AgentJobReport>;
  /** Error/inference counters when the node first served a version, per job key. */
  baselines: Map<string, { version: string; errors: number; inferences: number }>;
}

/** A selected node with what the status needs. */
export type SelectedNode = NodeView & { lastSeen: Date };

/**
 * In-memory view of the edge, fed by heartbeats. Nodes that stop heartbeating stay here as stale
 * (never dropped), so `status.edgeNodes` keeps showing them.
 */
export class EdgeRegistry {
  private readonly nodes = new Map<string, NodeRecord>();

  constructor(private readonly staleAfterMs: number) {}

  /** Records a heartbeat; returns the job keys whose report changed in a way the rollout cares about. */
  record(
    hb: HeartbeatRequest,
    labels: Record<string, string>,
    labelsFromAgent: boolean,
    nowMs: number,
  ): string[] {
    let node = this.nodes.get(hb.node);
    const isNew = !node;
    const wasStale = node ? this.isStale(node, nowMs) : false;
    if (!node) {
      node = {
        name: hb.node,
        labels,
        labelsFromAgent,
        lastSeen: nowMs,
        reports: new Map(),
        baselines: new Map(),
      };
      this.nodes.set(hb.node, node);
    }
    node.labels = labels;
    node.labelsFromAgent = labelsFromAgent;
    node.lastSeen = nowMs;
    const changed = new Set<string>();
    const seen = new Set<string>();
    for (const report of hb.jobs) {
      const key = jobKey(report.job);
      seen.add(key);
      const before = node.reports.get(key);
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
        node.baselines.delete(key);
        changed.add(key);
      }
    }
    return [...changed];
  }

  private isStale(node: NodeRecord, nowMs: number): boolean {
    return nowMs - node.lastSeen > this.staleAfterMs;
  }

  /** Replaces a node's labels with the Node object's (used for agents that are offline). */
  setNodeLabels(name: string, labels: Record<string, string>): void {
    const node = this.nodes.get(name);
    if (node && !node.labelsFromAgent) node.labels = labels;
  }

  /** Names of nodes whose agent is stale now. */
  staleNodes(nowMs: number): string[] {
    return [...this.nodes.values()].filter((n) => this.isStale(n, nowMs)).map((n) => n.name);
  }

  /** Labels last known for a node. */
  labelsOf(name: string): Record<string, string> | undefined {
    return this.nodes.get(name)?.labels;
  }

  /** Marks the labels of stale nodes as no longer the agent's (so the Node object's are used). */
  expireAgentLabels(nowMs: number): void {
    for (const n of this.nodes.values()) if (this.isStale(n, nowMs)) n.labelsFromAgent = false;
  }

  /** The nodes a job selects (matching labels), online or stale, with their report for the job. */
  selectedNodes(key: string, selector: Record<string, string>, nowMs: number): SelectedNode[] {
    const out: SelectedNode[] = [];
    for (const n of this.nodes.values()) {
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

/** Kubernetes nodeSelector semantics: every key must be present with the same value. */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

import type { Condition, EdgeNodeStatus, SingleTaskLearningJobStatus } from '../../lib/api/v1alpha1/index.js';
import { CONDITION_TYPE, EDGE_NODE_STATE, MAX_EDGE_NODES, REASON } from '../../lib/api/v1alpha1/index.js';
import type { ConditionInput } from '../../lib/api/v1alpha1/types.js';
import { desiredVersionFor, type NodeView } from './rollout.js';

/** `status.edgeNodes` from the selected nodes (sorted by name, bounded). */
export function buildEdgeNodes(
  status: SingleTaskLearningJobStatus,
  nodes: Array<NodeView & { lastSeen: Date }>,
): EdgeNodeStatus[] {
  return [...nodes]
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, MAX_EDGE_NODES)
    .map((n) => ({
      name: n.name,
      state: n.stale ? EDGE_NODE_STATE.Stale : EDGE_NODE_STATE.Online,
      modelVersion: n.report?.activeModel ?? null,
      targetVersion: desiredVersionFor(status, n.name),
      ...(n.report ? { modelState: n.report.modelState } : {}),
      canary: (status.rollout?.phase === 'Canary' && status.rollout.canaryNodes?.includes(n.name)) || false,
      lastSeen: n.lastSeen.toISOString(),
      samplesQueued: n.report?.samplesQueued ?? 0,
      samplesUploaded: n.report?.samplesUploaded ?? 0,
      inferences: n.report?.inferences ?? 0,
      inferenceErrors: n.report?.inferenceErrors ?? 0,
      ...(n.report?.reason ? { message: n.report.reason } : {}),
    }));
}

/** The EdgeSynced condition: every online node runs (Loaded) what it should. */
export function edgeSyncedCondition(edgeNodes: EdgeNodeStatus[]): ConditionInput {
  const online = edgeNodes.filter((n) => n.state === EDGE_NODE_STATE.Online);
  const stale = edgeNodes.length - online.length;
  if (edgeNodes.length === 0)
    return {
      type: CONDITION_TYPE.EdgeSynced,
      status: 'False',
      reason: REASON.NoEdgeNodes,
      message: 'no edge node matches edge.nodeSelector',
    };
  const behind = online.filter((n) => n.modelVersion !== n.targetVersion || n.modelState !== 'Loaded');
  if (behind.length > 0)
    return {
      type: CONDITION_TYPE.EdgeSynced,
      status: 'False',
      reason: REASON.NodesOutOfSync,
      message: `${behind.length} of ${online.length} online node(s) not on their target model`,
    };
  if (stale > 0)
    return {
      type: CONDITION_TYPE.EdgeSynced,
      status: 'True',
      reason: REASON.NodesStale,
      message: `${online.length} online node(s) synced; ${stale} stale`,
    };
  return {
    type: CONDITION_TYPE.EdgeSynced,
    status: 'True',
    reason: REASON.AllNodesSynced,
    message: `${online.length} node(s) synced`,
  };
}

/** Total samples uploaded by the job's nodes. */
export function uploadedSamples(edgeNodes: EdgeNodeStatus[]): number {
  return edgeNodes.reduce((s, n) => s + (n.samplesUploaded ?? 0), 0);
}

export type { Condition };

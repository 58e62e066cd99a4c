import type { Condition, EdgeNodeStatus, SingleTaskLearningJobStatus } from '../../lib/api/v1alpha1/index.js';
import {
  CONDITION_TYPE,
  EDGE_NODE_STATE,
  MAX_EDGE_NODES,
  PHASE,
  REASON,
  ROLLOUT_PHASE,
} from '../../lib/api/v1alpha1/index.js';
import type { ConditionInput } from '../../lib/api/v1alpha1/types.js';
import { desiredVersionFor, type NodeView } from './rollout.js';

/** `status.edgeNodes` from the selected nodes (sorted by name, bounded). */
export function buildEdgeNodes(status: SingleTaskLearningJobStatus, nodes: NodeView[]): EdgeNodeStatus[] {
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

/** Online nodes running (Loaded) `version`. */
export function nodesRunning(status: SingleTaskLearningJobStatus, version: string): number {
  return (status.edgeNodes ?? []).filter(
    (n) => n.state === EDGE_NODE_STATE.Online && n.modelState === 'Loaded' && n.modelVersion === version,
  ).length;
}

function rolloutInProgress(status: SingleTaskLearningJobStatus): boolean {
  const phase = status.rollout?.phase;
  return phase === ROLLOUT_PHASE.Canary || phase === ROLLOUT_PHASE.Promoted;
}

/**
 * ModelDeployed, counted on the edge: True while some online node runs the current model. None
 * while a rollout is in progress or after a rollback (the rollout's own condition stands).
 */
export function modelDeployedCondition(status: SingleTaskLearningJobStatus): ConditionInput | undefined {
  const current = status.currentModel?.version;
  if (!current)
    return {
      type: CONDITION_TYPE.ModelDeployed,
      status: 'False',
      reason: REASON.InitialTraining,
      message: 'no model deployed yet',
    };
  if (rolloutInProgress(status) || status.rollout?.phase === ROLLOUT_PHASE.RolledBack) return undefined;
  const running = nodesRunning(status, current);
  return running > 0
    ? {
        type: CONDITION_TYPE.ModelDeployed,
        status: 'True',
        reason: REASON.RolloutCompleted,
        message: `${current} serving on ${running} node(s)`,
      }
    : {
        type: CONDITION_TYPE.ModelDeployed,
        status: 'False',
        reason: REASON.NoEdgeNodes,
        message: `${current} is the current model; no online edge node runs it`,
      };
}

/**
 * Ready summarises: False when the job cannot progress (`blocked` False), failed, has no model
 * yet, or no online edge node runs its model (the current one, or the one rolling out); else True.
 */
export function readyCondition(
  status: SingleTaskLearningJobStatus,
  blocked: ConditionInput | undefined,
): ConditionInput {
  const ready = (ok: boolean, reason: string, message: string): ConditionInput => ({
    type: CONDITION_TYPE.Ready,
    status: ok ? 'True' : 'False',
    reason,
    message,
  });
  if (blocked?.status === 'False') return blocked;
  if (status.phase === PHASE.Failed) {
    const failed = status.conditions?.find((c) => c.type === CONDITION_TYPE.Failed && c.status === 'True');
    return ready(false, failed?.reason ?? REASON.TrainingFailed, failed?.message || 'job failed');
  }
  const current = status.currentModel?.version;
  const target = rolloutInProgress(status) ? status.rollout?.targetVersion : undefined;
  const running =
    (current ? nodesRunning(status, current) : 0) +
    (target && target !== current ? nodesRunning(status, target) : 0);
  if (status.phase === PHASE.Suspended) return ready(running > 0, REASON.Suspended, 'suspended');
  if (!current) return ready(false, REASON.InitialTraining, `no model yet (${status.phase})`);
  if (running === 0)
    return ready(false, REASON.NoEdgeNodes, `no online edge node runs ${current} (${status.phase})`);
  // What the job waits for next (the trigger, a pin) is the message; the reason says it serves.
  if (blocked)
    return ready(
      true,
      blocked.reason === REASON.ModelPinned ? REASON.ModelPinned : REASON.Serving,
      blocked.message ?? '',
    );
  return ready(true, REASON.Serving, `serving ${current} on ${running} node(s) (${status.phase})`);
}

/** Total samples uploaded by the job's nodes. */
export function uploadedSamples(edgeNodes: EdgeNodeStatus[]): number {
  return edgeNodes.reduce((s, n) => s + (n.samplesUploaded ?? 0), 0);
}

export type { Condition };

import type { AgentJobReport } from '../../lib/protocol/heartbeat.js';
import type {
  DefaultedRolloutSpec,
  RolloutStatus,
  SingleTaskLearningJobStatus,
} from '../../lib/api/v1alpha1/index.js';
import { REASON, ROLLOUT_PHASE } from '../../lib/api/v1alpha1/index.js';
import type { JobEvent } from '../ports/job-store.js';

/** What the rollout logic knows of one selected node. */
export interface NodeView {
  name: string;
  stale: boolean;
  /** When the node last heartbeat (its report is from then). */
  lastSeen: Date;
  report?: AgentJobReport;
  /** Inference errors and inferences since the node started serving the target version. */
  errorsSinceTarget?: number;
  inferencesSinceTarget?: number;
}

/** Result of one rollout step. */
export interface RolloutStep {
  rollout: RolloutStatus;
  outcome: 'progressing' | 'completed' | 'rolledBack';
  events: JobEvent[];
  requeueAfterMs: number;
}

/** Poll interval while nodes are converging (heartbeats also wake the job up). */
export const ROLLOUT_POLL_MS = 5_000;

/** The version a node should run now, given the job's status. */
export function desiredVersionFor(
  status: SingleTaskLearningJobStatus | undefined,
  node: string,
): string | null {
  const current = status?.currentModel?.version ?? null;
  const r = status?.rollout;
  if (r?.targetVersion && r.phase === ROLLOUT_PHASE.Canary)
    return (r.canaryNodes ?? []).includes(node) ? r.targetVersion : current;
  if (r?.targetVersion && r.phase === ROLLOUT_PHASE.Promoted) return r.targetVersion;
  return current;
}

/**
 * Starts a rollout of `target`. Canary needs something to fall back to, so a first model (no
 * previous version) goes to every node at once. Canary nodes are the first `canaryNodes` online
 * nodes by name, fixed for the whole rollout.
 */
export function startRollout(
  spec: DefaultedRolloutSpec,
  nodes: NodeView[],
  target: string,
  previous: string | null,
  now: Date,
): RolloutStep {
  const online = nodes
    .filter((n) => !n.stale)
    .map((n) => n.name)
    .sort();
  const canary = spec.strategy === 'canary' && previous !== null && online.length > 0;
  const rollout: RolloutStatus = {
    targetVersion: target,
    previousVersion: previous,
    phase: canary ? ROLLOUT_PHASE.Canary : ROLLOUT_PHASE.Promoted,
    canaryNodes: canary ? online.slice(0, spec.canaryNodes) : [],
    startedAt: now.toISOString(),
    message: canary
      ? `canary on ${online.slice(0, spec.canaryNodes).join(', ')}`
      : 'rolling out to every node',
  };
  const event: JobEvent = canary
    ? {
        type: 'Normal',
        reason: REASON.CanaryStarted,
        message: `Model ${target} on canary nodes ${rollout.canaryNodes!.join(', ')}`,
      }
    : { type: 'Normal', reason: REASON.RolloutStarted, message: `Model ${target} to every node` };
  return { rollout, outcome: 'progressing', events: [event], requeueAfterMs: 0 };
}

/** Live evidence: a heartbeat since the rollout began reports the target loaded. */
function servesTarget(n: NodeView, target: string, sinceMs: number): boolean {
  return (
    n.report?.activeModel === target && n.report.modelState === 'Loaded' && n.lastSeen.getTime() >= sinceMs
  );
}

/** Why a node is unhealthy on the target version, or null. */
function unhealthy(n: NodeView, target: string): string | null {
  const r = n.report;
  if (r?.targetModel === target && r.modelState === 'FailedToLoad')
    return `${n.name} failed to load ${target}${r.reason ? `: ${r.reason}` : ''}`;
  const errors = n.errorsSinceTarget ?? 0;
  const inferences = n.inferencesSinceTarget ?? 0;
  if (r?.activeModel === target && errors > Math.max(5, inferences * 0.1))
    return `${n.name}: ${errors} inference errors in ${inferences} inferences on ${target}`;
  return null;
}

function rollback(spec: DefaultedRolloutSpec, rollout: RolloutStatus, why: string): RolloutStep {
  if (!spec.autoRollback) {
    return {
      rollout: { ...rollout, message: `${why}; autoRollback is off` },
      outcome: 'progressing',
      events: [
        { type: 'Warning', reason: REASON.CanaryFailed, message: `${why}; autoRollback is off, waiting` },
      ],
      requeueAfterMs: ROLLOUT_POLL_MS,
    };
  }
  const back = rollout.previousVersion ?? 'none';
  return {
    rollout: {
      ...rollout,
      phase: ROLLOUT_PHASE.RolledBack,
      healthySince: undefined,
      message: `${why}; rolled back to ${back}`,
    },
    outcome: 'rolledBack',
    events: [
      { type: 'Warning', reason: REASON.RolledBack, message: `${why}; every node returns to ${back}` },
    ],
    requeueAfterMs: 0,
  };
}

/**
 * One step of a rollout in progress. Canary: a canary failing to load or turning unhealthy rolls
 * back (autoRollback); every named canary serving the target for `soakSeconds` promotes. Promoted:
 * done when every online node serves the target (stale nodes catch up when they return). Serving
 * counts only on live evidence, a heartbeat received since the rollout began: after an operator
 * restart the nodes must report again (the registry restores the nodes it knew from status, so
 * the silent ones are waited for until they turn stale).
 */
export function advanceRollout(
  spec: DefaultedRolloutSpec,
  rollout: RolloutStatus,
  nodes: NodeView[],
  now: Date,
): RolloutStep {
  const target = rollout.targetVersion!;
  const sinceMs = rollout.startedAt ? Date.parse(rollout.startedAt) : 0;
  if (rollout.phase === ROLLOUT_PHASE.Canary) {
    const named = rollout.canaryNodes ?? [];
    const canaries = nodes.filter((n) => named.includes(n.name));
    const bad = canaries
      .map(
        (n) => unhealthy(n, target) ?? (n.stale ? `${n.name} stopped heartbeating during the canary` : null),
      )
      .find(Boolean);
    if (bad) return rollback(spec, rollout, bad);
    if (
      named.length === 0 ||
      canaries.length < named.length ||
      !canaries.every((n) => servesTarget(n, target, sinceMs))
    ) {
      return {
        rollout: { ...rollout, healthySince: undefined },
        outcome: 'progressing',
        events: [],
        requeueAfterMs: ROLLOUT_POLL_MS,
      };
    }
    const since = rollout.healthySince ?? now.toISOString();
    const soakedMs = now.getTime() - Date.parse(since);
    if (soakedMs < spec.soakSeconds * 1000) {
      return {
        rollout: {
          ...rollout,
          healthySince: since,
          message: `canary healthy for ${Math.floor(soakedMs / 1000)}s of ${spec.soakSeconds}s`,
        },
        outcome: 'progressing',
        events: [],
        requeueAfterMs: Math.min(ROLLOUT_POLL_MS, spec.soakSeconds * 1000 - soakedMs),
      };
    }
    return {
      rollout: {
        ...rollout,
        phase: ROLLOUT_PHASE.Promoted,
        healthySince: since,
        message: 'canary healthy; rolling out to every node',
      },
      outcome: 'progressing',
      events: [
        {
          type: 'Normal',
          reason: REASON.RolloutPromoted,
          message: `Model ${target} healthy on canaries for ${spec.soakSeconds}s; promoting to every node`,
        },
      ],
      requeueAfterMs: 0,
    };
  }
  const online = nodes.filter((n) => !n.stale);
  const bad = online.map((n) => unhealthy(n, target)).find(Boolean);
  if (bad) return rollback(spec, rollout, bad);
  const waiting = online.filter((n) => !servesTarget(n, target, sinceMs)).map((n) => n.name);
  if (waiting.length > 0) {
    return {
      rollout: { ...rollout, message: `waiting for ${waiting.length} node(s)` },
      outcome: 'progressing',
      events: [],
      requeueAfterMs: ROLLOUT_POLL_MS,
    };
  }
  return {
    rollout: { ...rollout, phase: ROLLOUT_PHASE.Completed, message: `${target} on ${online.length} node(s)` },
    outcome: 'completed',
    events: [
      {
        type: 'Normal',
        reason: REASON.RolloutCompleted,
        message:
          online.length > 0
            ? `Model ${target} serving on ${online.length} node(s)`
            : `Model ${target} is current; no edge node is online to serve it`,
      },
    ],
    requeueAfterMs: 0,
  };
}

/** One training round as the run observed it. */
export interface RoundSummary {
  round: number;
  version: string;
  /** Deployed, Rejected, RolledBack or Superseded, as in `status.models`. */
  state: string;
  metrics: Record<string, number>;
  baselineMetrics: Record<string, number> | null;
  trainSeconds: number | null;
  /** Labeled edge samples used by this round. */
  labeledSamples: number | null;
}

export interface PhaseTransition {
  /** ISO time. */
  at: string;
  phase: string;
  round: number;
}

export interface AgentSummary {
  node: string;
  modelVersion: string | null;
  inferences: number;
  latencyMsP50: number | null;
}

/** `out/summary.json`: the figures of a local run; `report.html` is rendered from it. */
export interface RunSummary {
  job: { namespace: string; name: string };
  profile: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  finalPhase: string;
  /** Why `up` stopped before the job ended (the line ran dry), or null. */
  stopReason: string | null;
  rounds: RoundSummary[];
  finalModel: { version: string; metrics: Record<string, number> } | null;
  samples: { kept: number; uploaded: number; labeled: number };
  agents: AgentSummary[];
  timeline: PhaseTransition[];
}

/** A test image drawn with the boxes of the first and of the final model (PNG data URIs). */
export interface GalleryItem {
  name: string;
  before: string;
  after: string;
}

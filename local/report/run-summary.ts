/** One training round as the run observed it. */
export interface RoundSummary {
  round: number;
  version: string;
  /** Deployed, Rejected, RolledBack or Superseded, as in `status.models`. */
  state: string;
  /** Whether this version ever served (every state but Rejected). */
  deployed: boolean;
  /** Ianvs f1_score and mAP@0.5 on the evaluation set: the new line's test split. */
  f1: number | null;
  mAP50: number | null;
  /** The same on the first line's test split: what the model keeps of what it knew. */
  f1Reference: number | null;
  mAP50Reference: number | null;
  /** f1_score of the model serving when this round was evaluated, on the same set. */
  baselineF1: number | null;
  /** Labeled edge samples this round trained on. */
  samplesUsed: number | null;
  trainSeconds: number | null;
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
  /** Where the data came from, and the two evaluation sets. */
  data: { description: string; testIndex: string; referenceTestIndex: string; streamImages: number };
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  finalPhase: string;
  /** Why `up` stopped before the job ended (the line ran dry), or null. */
  stopReason: string | null;
  rounds: RoundSummary[];
  /** The model the agents serve at the end (copied to out/model.zip). */
  finalModel: { version: string; f1: number | null; mAP50: number | null; f1Reference: number | null } | null;
  samples: { kept: number; uploaded: number; labeled: number };
  agents: AgentSummary[];
  timeline: PhaseTransition[];
}

/** One box of the gallery, enlarged: the defects are a few pixels tall at thumbnail size. */
export interface GalleryCrop {
  /** PNG data URIs of the same region as each model saw it. */
  before: string;
  after: string;
  /** Ground truth class of the box the crop centres on. */
  label: string;
}

/** A test image drawn with the boxes of the first and of the final model (PNG data URIs). */
export interface GalleryItem {
  name: string;
  before: string;
  after: string;
  crops: GalleryCrop[];
}

import { UsageError } from '../lib/errors/index.js';
import type { SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';

/** How a local run is paced: the FPN preset and the loop's knobs. */
export interface Profile {
  name: string;
  /** FPN `preset` hyperparameter. */
  preset: 'tiny' | 'quick' | 'default';
  /** Training time cap per round (FPN `time_budget_minutes`); 0 = the preset's own. */
  trainMinutes: number;
  maxRounds: number;
  minNewSamples: number;
  /** Images per second each simulated camera sends. */
  cameraRate: number;
  soakSeconds: number;
  /** Test images drawn before/after in the report. */
  galleryImages: number;
}

/**
 * `quick` is what the README suggests first (a few minutes on 2 cores); `default` aims at the FPN
 * accuracy target; `tiny` is for tests on generated images.
 */
export const PROFILES: Record<string, Profile> = {
  tiny: {
    name: 'tiny',
    preset: 'tiny',
    trainMinutes: 0,
    maxRounds: 2,
    minNewSamples: 4,
    cameraRate: 4,
    soakSeconds: 2,
    galleryImages: 2,
  },
  quick: {
    name: 'quick',
    preset: 'quick',
    // 1.5 minutes left round 0 at F1 0: a model that finds nothing keeps no hard examples.
    trainMinutes: 0,
    maxRounds: 1,
    // The new line is hard for round 0's model, so nearly every image is kept: 24 come in seconds.
    minNewSamples: 24,
    cameraRate: 2,
    soakSeconds: 5,
    galleryImages: 4,
  },
  default: {
    name: 'default',
    preset: 'default',
    // Three trainings (round 0 and two retrains) of 9 minutes keep the run within 40 minutes.
    trainMinutes: 9,
    maxRounds: 2,
    // Round 0's model finds most of the new line hard; 30 labeled samples come within a minute,
    // and each retrain uses every sample labeled so far.
    minNewSamples: 30,
    // One process runs both agents' inference on its event loop, with the labeler and the operator:
    // at ~0.7 s per image, 0.3 images/s per camera keeps that loop under half busy, so labeling
    // keeps up (at 2/s the loop saturated and labeling stalled).
    cameraRate: 0.3,
    soakSeconds: 10,
    galleryImages: 6,
  },
};

export function resolveProfile(name: string): Profile {
  const profile = PROFILES[name];
  if (!profile) throw new UsageError(`unknown profile "${name}"; valid: ${Object.keys(PROFILES).join(', ')}`);
  return profile;
}

/**
 * The job as the profile runs it: the profile fills in the pace (preset, rounds, trigger, soak)
 * wherever the user's YAML leaves it open; what the YAML says wins.
 */
export function applyProfile(job: SingleTaskLearningJob, profile: Profile): SingleTaskLearningJob {
  const spec = structuredClone(job.spec);
  const paced = profile.trainMinutes > 0 ? { time_budget_minutes: profile.trainMinutes } : {};
  spec.algorithm = {
    ...spec.algorithm,
    hyperparameters: { preset: profile.preset, ...paced, ...(spec.algorithm?.hyperparameters ?? {}) },
  };
  spec.runPolicy = { maxRounds: profile.maxRounds, ...spec.runPolicy };
  spec.trigger = { minNewSamples: profile.minNewSamples, ...spec.trigger };
  spec.rollout = { soakSeconds: profile.soakSeconds, ...spec.rollout };
  return { ...job, spec };
}

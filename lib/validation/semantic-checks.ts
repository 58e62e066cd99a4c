import { API_VERSION, KIND } from '../api/v1alpha1/constants.js';
import type { ValidationError } from './types.js';

type Obj = Record<string, unknown>;

const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function asObj(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

/**
 * Checks the schema cannot express: identity (apiVersion, kind, metadata.name), a time window whose
 * start equals its end, canary settings, thresholds in [0, 1], s3:// URIs with a key, and class names.
 * Defensive on purpose: it runs on documents that may have failed the schema.
 */
export function semanticChecks(doc: unknown): ValidationError[] {
  const root = asObj(doc);
  if (!root) return [{ path: '', message: `must be a ${KIND} object` }];
  const spec = asObj(root.spec) ?? {};
  return [
    ...identityChecks(root),
    ...windowChecks(asObj(asObj(spec.trigger)?.window)),
    ...canaryChecks(asObj(spec.rollout)),
    ...thresholdChecks(asObj(asObj(spec.edge)?.sampling)),
    ...uriChecks(spec),
    ...classChecks(asObj(spec.dataset)?.classes),
  ];
}

function identityChecks(root: Obj): ValidationError[] {
  const errors: ValidationError[] = [];
  if (root.apiVersion !== API_VERSION) {
    errors.push({
      path: 'apiVersion',
      message: `must be ${API_VERSION} (got ${JSON.stringify(root.apiVersion) ?? 'nothing'})`,
    });
  }
  if (root.kind !== KIND) {
    errors.push({ path: 'kind', message: `must be ${KIND} (got ${JSON.stringify(root.kind) ?? 'nothing'})` });
  }
  const name = asObj(root.metadata)?.name;
  if (typeof name !== 'string' || name === '') {
    errors.push({ path: 'metadata.name', message: 'is required' });
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    errors.push({
      path: 'metadata.name',
      message: `must be a DNS-1123 name: lowercase letters, digits, "-" and "." (got ${JSON.stringify(name)})`,
    });
  }
  return errors;
}

/** Minutes since midnight of a HH:MM string, or undefined when malformed. */
export function parseHhMm(value: unknown): number | undefined {
  const m = typeof value === 'string' ? HH_MM.exec(value) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

function windowChecks(window: Obj | undefined): ValidationError[] {
  if (!window) return [];
  const errors: ValidationError[] = [];
  for (const key of ['start', 'end'] as const) {
    const v = window[key];
    if (typeof v === 'string' && parseHhMm(v) === undefined) {
      errors.push({
        path: `spec.trigger.window.${key}`,
        message: `must be a time of day HH:MM, 00:00 to 23:59 (got ${JSON.stringify(v)})`,
      });
    }
  }
  const start = parseHhMm(window.start);
  if (start !== undefined && start === parseHhMm(window.end)) {
    errors.push({
      path: 'spec.trigger.window',
      message: `start and end are both ${String(window.start)}: an empty window would never start a round (it may wrap past midnight, e.g. 22:00 to 04:00)`,
    });
  }
  return errors;
}

function canaryChecks(rollout: Obj | undefined): ValidationError[] {
  if (rollout?.strategy !== 'canary' || rollout.canaryNodes === undefined) return [];
  const n = rollout.canaryNodes;
  if (typeof n === 'number' && (!Number.isInteger(n) || n < 1)) {
    return [
      {
        path: 'spec.rollout.canaryNodes',
        message: `must be a whole number >= 1 with strategy canary (got ${n})`,
      },
    ];
  }
  return [];
}

function thresholdChecks(sampling: Obj | undefined): ValidationError[] {
  if (!sampling) return [];
  return (['thresholdImg', 'thresholdBox', 'randomRate'] as const).flatMap((key) => {
    const v = sampling[key];
    if (typeof v !== 'number' || (v >= 0 && v <= 1)) return [];
    return [{ path: `spec.edge.sampling.${key}`, message: `must be within [0, 1] (got ${v})` }];
  });
}

function uriChecks(spec: Obj): ValidationError[] {
  const dataset = asObj(spec.dataset) ?? {};
  const fields: Array<[string, unknown]> = [
    ['spec.dataset.trainIndex', dataset.trainIndex],
    ['spec.dataset.testIndex', dataset.testIndex],
    ['spec.initialModel', spec.initialModel],
  ];
  return fields.flatMap(([path, v]) => {
    if (typeof v !== 'string') return [];
    const m = S3_URI.exec(v);
    if (!m) return [{ path, message: `must be an s3:// URI (s3://bucket/path) (got ${JSON.stringify(v)})` }];
    const key = m[2];
    if (key.split('/').some((seg) => seg === '..' || seg === '.')) {
      return [{ path, message: `must not contain "." or ".." path segments (got ${JSON.stringify(v)})` }];
    }
    if (key.endsWith('/'))
      return [
        { path, message: `must name an object, not a prefix ending in "/" (got ${JSON.stringify(v)})` },
      ];
    return [];
  });
}

function classChecks(classes: unknown): ValidationError[] {
  if (!Array.isArray(classes)) return [];
  return classes.flatMap((c, i) => {
    if (typeof c !== 'string' || c === '') return [];
    if (c.trim() !== c) {
      return [
        {
          path: `spec.dataset.classes[${i}]`,
          message: `must not start or end with spaces (got ${JSON.stringify(c)})`,
        },
      ];
    }
    return [];
  });
}

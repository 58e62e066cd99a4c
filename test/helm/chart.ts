/**
 * Helpers for the chart tests: run the real helm binary on helm/edge-stl and validate what it renders
 * against the Kubernetes OpenAPI schemas shipped in kubernetes-models.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as yaml from 'js-yaml';
import { k8sTools } from '../support/k8s-tools.js';

const run = promisify(execFile);

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART_DIR = join(REPO_ROOT, 'helm', 'edge-stl');
/** Value sets rendered by the tests, kept inside the chart like chart-testing's ci/ directory. */
export const CI_VALUES_DIR = join(CHART_DIR, 'ci');

/** A rendered Kubernetes object (loosely typed: tests read into it). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  /** `--set` pairs. */
  set?: string[];
}

/** Result of a helm command that may fail: tests assert on stderr. */
export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with its own HOME-less config dirs, so a developer's repos and plugins never leak in. */
export async function helm(args: string[]): Promise<HelmResult> {
  const { helm: bin } = k8sTools();
  const isolated = join(REPO_ROOT, '.tools', 'helm-home');
  try {
    const { stdout, stderr } = await run(bin, args, {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '',
        HELM_CACHE_HOME: join(isolated, 'cache'),
        HELM_CONFIG_HOME: join(isolated, 'config'),
        HELM_DATA_HOME: join(isolated, 'data'),
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(err),
    };
  }
}

/** `helm template` arguments for a render. */
export function templateArgs(options: RenderOptions = {}): string[] {
  const args = [
    'template',
    options.release ?? 'edge-stl',
    CHART_DIR,
    '--namespace',
    options.namespace ?? 'edge-stl',
  ];
  for (const f of options.valuesFiles ?? []) args.push('--values', f);
  for (const s of options.set ?? []) args.push('--set', s);
  return args;
}

/** Renders the chart and parses every document; throws with helm's stderr when rendering fails. */
export async function renderChart(options: RenderOptions = {}): Promise<K8sObject[]> {
  const result = await helm(templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return yaml.loadAll(result.stdout).filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

/** The one object of a kind and name; throws listing what exists otherwise. */
export function findObject(objects: K8sObject[], kind: string, nameSuffix: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (!hit)
    throw new Error(
      `no ${kind} *${nameSuffix} in: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return hit;
}

/** `Kind/name` of every object, in render order (for the resource list in reports). */
export function resourceList(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`);
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Module paths of the model classes: core group is `v1`, others `<group>/<version>`. */
function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

/**
 * Validates one object against its OpenAPI schema in kubernetes-models (CRDs through the
 * apiextensions.k8s.io/v1 model, ServiceMonitors through @kubernetes-models/prometheus-operator).
 * Throws naming the object and the schema errors; throws too when no model exists for the kind.
 */
export async function validateObject(object: K8sObject): Promise<void> {
  const path = modelModule(object.apiVersion, object.kind);
  let Model: ModelClass;
  try {
    const mod = (await import(path)) as Record<string, ModelClass>;
    Model = mod[object.kind] ?? (mod.default as unknown as ModelClass);
  } catch (err) {
    throw new Error(`no kubernetes-models schema for ${object.apiVersion} ${object.kind} (${path})`, {
      cause: err,
    });
  }
  try {
    new Model(object).validate();
  } catch (err) {
    throw new Error(`${object.kind}/${object.metadata.name} is invalid: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

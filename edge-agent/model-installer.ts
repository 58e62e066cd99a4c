import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  ClassFactory,
  ClassType,
  openModel,
  type BaseModel,
  type BaseModelConstructor,
} from '../lib/algorithm-api/index.js';
import { EdgeStlError } from '../lib/errors/index.js';
import type { ModelManifest } from '../lib/model-package/manifest.js';
import { readManifest, readModelPackage, sha256File } from '../lib/model-package/index.js';
import { pathUnder } from '../lib/paths/index.js';
import { assertJobKey, type JobKey } from '../lib/protocol/index.js';
import { downloadWithResume, type DownloadOptions } from '../lib/net/download.js';
import type { LoadedModel } from './model-slot.js';
import { smokeTest } from './smoke-test.js';
import type { InstalledModel } from './state-store.js';
import { builtinServingClass, registerBuiltins } from '../lib/builtin-algorithms/register.js';

/** A model that was refused; `message` is the reason reported to the operator. */
export class ModelInstallError extends EdgeStlError {
  /** True when trying the same version again later may succeed (a download, not a bad model). */
  readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super('MODEL_INSTALL_FAILED', message, options);
    this.retryable = options?.retryable ?? false;
  }
}

/** Where a model comes from: a URL (presigned S3 GET) or a local file (the initial model). */
export type ModelSource = { url: string } | { file: string };

export interface InstallRequest {
  job: JobKey;
  /** Expected version; a local file without one takes the manifest's version (or its sha256). */
  version?: string;
  /** Expected sha256 of model.zip; a local file without one is trusted as given. */
  sha256?: string;
  source: ModelSource;
}

export interface ModelInstallerOptions {
  dataDir: string;
  smokeTimeoutMs: number;
  log: Logger;
  download?: DownloadOptions;
  /** Makes the algorithm of a manifest available (e.g. imports the built-in detectors). */
  resolveAlgorithm?: (alias: string) => Promise<BaseModelConstructor>;
}

/**
 * Installs a model version beside the active one: download (resumable) → verify sha256 → unpack
 * with the model package's safe reader → build the manifest's algorithm through the ClassFactory
 * and load it → smoke-test on the built-in image. Only a model that passes every step is
 * returned; the caller swaps it in. Each version lives in `models/<ns>_<job>/<version>/`.
 */
export class ModelInstaller {
  private readonly aborter = new AbortController();

  constructor(private readonly options: ModelInstallerOptions) {}

  /** Cuts downloads in progress (shutdown); their part files stay, so the next start resumes. */
  abort(): void {
    this.aborter.abort();
  }

  /** Runs every step; throws {@link ModelInstallError} with the reason on the first failure. */
  async install(request: InstallRequest): Promise<LoadedModel> {
    const jobDir = this.jobDir(request.job);
    const staging = join(jobDir, `.staging-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    try {
      const zip = join(staging, 'model.zip');
      await this.fetch(request, zip);
      const sha256 = await sha256File(zip);
      if (request.sha256 && sha256 !== request.sha256) {
        throw new ModelInstallError(`sha256 mismatch: expected ${request.sha256}, got ${sha256}`);
      }
      const manifest = await this.unpack(zip, join(staging, 'files'));
      const version = request.version ?? manifest.version ?? `sha256-${sha256.slice(0, 12)}`;
      const dir = pathUnder(jobDir, safeSegment(version));
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
      try {
        return await this.load({ version, sha256, dir }, manifest);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Loads a version installed earlier (a restart without the cloud): sha256 checked again. */
  async loadInstalled(installed: InstalledModel): Promise<LoadedModel> {
    const zip = join(installed.dir, 'model.zip');
    const sha256 = await sha256File(zip).catch((err: unknown) => {
      throw new ModelInstallError(`installed model ${installed.version} is missing from disk`, {
        cause: err,
      });
    });
    if (sha256 !== installed.sha256) {
      throw new ModelInstallError(`installed model ${installed.version} changed on disk (sha256 ${sha256})`);
    }
    // Verified and unpacked at install time; the sha256 above proves it is the same file.
    const manifest = await readManifest(zip).catch((err: unknown) => {
      throw new ModelInstallError(`invalid model package: ${(err as Error).message}`, { cause: err });
    });
    return this.load(installed, manifest);
  }

  /** Removes the job's versions not in `keep` (the active and previous stay for rollback). */
  async prune(job: JobKey, keep: readonly string[]): Promise<void> {
    const jobDir = this.jobDir(job);
    const names = await readdir(jobDir).catch(() => [] as string[]);
    const kept = new Set(keep.map(safeSegment));
    for (const name of names) {
      if (!kept.has(name) && !name.startsWith('.staging-'))
        await rm(pathUnder(jobDir, name), { recursive: true, force: true });
    }
  }

  /** Removes everything of a job (dropped by the operator). */
  async removeJob(job: JobKey): Promise<void> {
    await rm(this.jobDir(job), { recursive: true, force: true });
  }

  /** `models/<ns>_<job>`; the key is checked (it came off the network) and the path kept under the data dir. */
  private jobDir(job: JobKey): string {
    assertJobKey(job);
    return pathUnder(join(this.options.dataDir, 'models'), `${job.namespace}_${job.name}`);
  }

  private async fetch(request: InstallRequest, zip: string): Promise<void> {
    if ('file' in request.source) {
      const file = request.source.file;
      await copyFile(file, zip).catch((err: unknown) => {
        throw new ModelInstallError(`cannot read ${file}`, { cause: err });
      });
      return;
    }
    // Keyed by the expected sha256 so that a broken transfer resumes only into the same content.
    const downloads = join(this.options.dataDir, 'downloads');
    await mkdir(downloads, { recursive: true });
    const target = join(downloads, `${request.sha256 ?? randomBytes(8).toString('hex')}.zip`);
    try {
      await downloadWithResume(request.source.url, target, {
        log: this.options.log,
        ...this.options.download,
        signal: this.aborter.signal,
      });
    } catch (err) {
      throw new ModelInstallError(`download failed: ${(err as Error).message}`, {
        cause: err,
        retryable: true,
      });
    }
    await rename(target, zip);
  }

  private async unpack(zip: string, dir: string): Promise<ModelManifest> {
    try {
      const { manifest } = await readModelPackage(zip, dir);
      return manifest;
    } catch (err) {
      throw new ModelInstallError(`invalid model package: ${(err as Error).message}`, { cause: err });
    }
  }

  private async load(installed: InstalledModel, manifest: ModelManifest): Promise<LoadedModel> {
    let Model: BaseModelConstructor;
    try {
      Model = await (this.options.resolveAlgorithm ?? resolveBuiltInAlgorithm)(manifest.algorithm);
    } catch (err) {
      throw new ModelInstallError(`unknown algorithm "${manifest.algorithm}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    let model: BaseModel | null = null;
    try {
      model = await openModel(join(installed.dir, 'model.zip'), { manifest, resolveAlgorithm: () => Model });
      await smokeTest(model, manifest.classes, this.options.smokeTimeoutMs);
    } catch (err) {
      await model?.dispose().catch(() => {});
      if (err instanceof ModelInstallError) throw err;
      throw new ModelInstallError(`${manifest.algorithm} model failed to load: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { ...installed, manifest, model };
  }
}

/**
 * The class the agent serves `alias` with: a built-in's serving class, else the ClassFactory's. The
 * built-in algorithms (and TF.js) are imported on the first model only, so an agent that never
 * loads a model never pays for them.
 */
async function resolveBuiltInAlgorithm(alias: string): Promise<BaseModelConstructor> {
  const serving = await builtinServingClass(alias);
  if (serving) return serving;
  if (!ClassFactory.has(ClassType.GENERAL, alias)) await registerBuiltins();
  return ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, alias);
}

/** A version as a directory name: no separators or dot-dot, whatever the operator sends. */
function safeSegment(version: string): string {
  const clean = version.replace(/[^A-Za-z0-9._-]/g, '_');
  return clean === '.' || clean === '..' || clean === '' ? `_${clean}` : clean;
}

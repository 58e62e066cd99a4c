import type { Logger } from 'pino';
import type { JobRuntime } from './job-runtime.js';
import type { AgentMetrics } from './metrics.js';
import { MODEL_STATE_VALUE } from './metrics.js';
import { ModelInstallError, type InstallRequest, type ModelInstaller } from './model-installer.js';
import type { LoadedModel } from './model-slot.js';
import { smokeTest } from './smoke-test.js';
import type { InstalledModel, StateStore } from './state-store.js';

export interface ModelManagerOptions {
  installer: ModelInstaller;
  state: StateStore;
  metrics: AgentMetrics;
  log: Logger;
  /** Delay before a retryable failure (download) of the same version is tried again, ms. */
  retryDelayMs: number;
  /** Time the model gets on the built-in image when checking its engine after an error, ms. */
  smokeTimeoutMs: number;
  /** Called when a job's model state changed (to report it at once). */
  onStateChange?: (rt: JobRuntime) => void;
}

/**
 * Keeps each job's active model equal to the desired one: installs a new version beside the
 * active model, swaps it in only when every check passed, keeps the previous version for
 * rollback, and on failure leaves the active model serving with the state `FailedToLoad`.
 */
export class ModelManager {
  constructor(private readonly options: ModelManagerOptions) {}

  /** At start: serves the job's last good model from disk, without the cloud; falls back to the previous one. */
  async restore(rt: JobRuntime): Promise<void> {
    const persisted = this.options.state.job(rt.id);
    for (const installed of [persisted.active, persisted.previous]) {
      if (!installed) continue;
      try {
        const loaded = await this.options.installer.loadInstalled(installed);
        await this.activate(rt, loaded, installed === persisted.active ? persisted.previous : null);
        this.changed(rt);
        this.options.log.info({ job: rt.id, version: installed.version }, 'Model restored from disk');
        return;
      } catch (err) {
        this.options.log.error(
          { err, job: rt.id, version: installed.version },
          'Installed model failed to load',
        );
      }
    }
  }

  /** Installs `request` unless it is the active version; resolves when done (errors are recorded, not thrown). */
  async install(rt: JobRuntime, request: InstallRequest): Promise<void> {
    if (rt.installing) await rt.installing;
    const run = this.runInstall(rt, request);
    rt.installing = run;
    try {
      await run;
    } finally {
      if (rt.installing === run) rt.installing = null;
    }
  }

  /** Starts installing the desired model when it differs from the active one; never waits. */
  reconcile(rt: JobRuntime): void {
    const desired = rt.desired?.model;
    if (!desired || rt.installing) return;
    const active = rt.slot.active;
    if (active && active.version === desired.version && active.sha256 === desired.sha256) {
      if (rt.failed) rt.failed = null; // the operator rolled back to what we serve
      return;
    }
    const failed = rt.failed;
    if (failed && failed.version === desired.version && failed.sha256 === desired.sha256) {
      if (failed.retryAfter === null || Date.now() < failed.retryAfter) return;
    }
    const persisted = this.options.state.job(rt.id);
    const onDisk = persisted.previous;
    if (onDisk && onDisk.version === desired.version && onDisk.sha256 === desired.sha256) {
      void this.install(rt, {
        job: rt.job,
        version: desired.version,
        sha256: desired.sha256,
        source: { file: `${onDisk.dir}/model.zip` },
      });
      return;
    }
    void this.install(rt, {
      job: rt.job,
      version: desired.version,
      sha256: desired.sha256,
      source: { url: desired.url },
    });
  }

  /**
   * After an inference error: when the model no longer answers the built-in image either, its
   * engine is unusable (e.g. a native backend left in a bad state), so the job goes not ready and
   * the same version is loaded afresh from disk. One bad request never leaves a node that fails
   * every request. Never throws.
   */
  async checkEngine(rt: JobRuntime, loaded: LoadedModel, cause: unknown): Promise<void> {
    if (rt.installing || rt.slot.active !== loaded) return;
    try {
      await smokeTest(loaded.model, loaded.manifest.classes, this.options.smokeTimeoutMs);
      return; // the failure was this image's, the engine still works
    } catch (err) {
      if (rt.installing || rt.slot.active !== loaded) return;
      const reason = `the engine failed after an inference error (${(cause as Error).message}): ${(err as Error).message}`;
      const run = this.reload(rt, loaded, reason);
      rt.installing = run;
      try {
        await run;
      } finally {
        if (rt.installing === run) rt.installing = null;
      }
    }
  }

  private async reload(rt: JobRuntime, broken: LoadedModel, reason: string): Promise<void> {
    const { log, metrics, installer } = this.options;
    rt.resetting = reason;
    metrics.engineResets.inc({ job: rt.id });
    log.error({ job: rt.id, version: broken.version, reason }, 'Model engine unusable: reloading the model');
    // Not ready from here on; the broken model is disposed once its in-flight leases end.
    void rt.slot.swap(null);
    this.changed(rt);
    try {
      const fresh = await installer.loadInstalled(toInstalled(broken));
      void rt.slot.swap(fresh);
      this.recordEngine(rt, fresh);
      log.info({ job: rt.id, version: fresh.version }, 'Model reloaded');
    } catch (err) {
      rt.failed = {
        version: broken.version,
        sha256: broken.sha256,
        reason: (err as Error).message,
        retryAfter: null,
      };
      metrics.setActiveModel(rt.id, null);
      log.error({ err, job: rt.id, version: broken.version }, 'Reloading the model failed');
    } finally {
      rt.resetting = null;
      this.changed(rt);
    }
  }

  private async runInstall(rt: JobRuntime, request: InstallRequest): Promise<void> {
    const { log, metrics } = this.options;
    rt.target = request.version ?? null;
    this.changed(rt);
    const started = Date.now();
    try {
      const loaded = await this.options.installer.install(request);
      const previous = rt.slot.active;
      rt.failed = null;
      rt.target = null;
      await this.activate(rt, loaded, previous ? toInstalled(previous) : null);
      metrics.modelInstalls.inc({ job: rt.id, result: 'installed' });
      log.info({ job: rt.id, version: loaded.version, ms: Date.now() - started }, 'Model installed');
    } catch (err) {
      const reason = err instanceof ModelInstallError ? err.message : `unexpected: ${(err as Error).message}`;
      const retryable = err instanceof ModelInstallError && err.retryable;
      rt.failed = {
        version: request.version ?? 'initial',
        sha256: request.sha256 ?? '',
        reason,
        retryAfter: retryable ? Date.now() + this.options.retryDelayMs : null,
      };
      rt.target = null;
      metrics.modelInstalls.inc({ job: rt.id, result: 'failed' });
      log.error({ err, job: rt.id, version: request.version, reason }, 'Model refused');
    } finally {
      this.changed(rt);
    }
  }

  /** Swaps `loaded` in, records it (and the version kept for rollback) on disk, prunes older ones. */
  private async activate(
    rt: JobRuntime,
    loaded: LoadedModel,
    previous: InstalledModel | null,
  ): Promise<void> {
    const drained = rt.slot.swap(loaded);
    const active = toInstalled(loaded);
    const kept = previous && previous.version !== active.version ? previous : null;
    await this.options.state.update((s) => {
      const job = (s.jobs[rt.id] ??= { desired: null, active: null, previous: null });
      job.active = active;
      job.previous = kept;
    });
    this.options.metrics.setActiveModel(rt.id, loaded.version);
    this.recordEngine(rt, loaded);
    void drained.then(() =>
      this.options.installer
        .prune(rt.job, [active.version, ...(kept ? [kept.version] : [])])
        .catch((err: unknown) => {
          this.options.log.warn({ err, job: rt.id }, 'Pruning old model versions failed');
        }),
    );
  }

  /** The engine a model serves with (when it says), in /metrics and the log. */
  private recordEngine(rt: JobRuntime, loaded: LoadedModel): void {
    const engine = (loaded.model as { engine?: { name: string; note: string } | null }).engine;
    this.options.metrics.setEngine(rt.id, engine?.name ?? null);
    if (engine)
      this.options.log.info(
        { job: rt.id, version: loaded.version, engine: engine.name, note: engine.note },
        'Inference engine',
      );
  }

  private changed(rt: JobRuntime): void {
    this.options.metrics.modelState.set(
      { job: rt.id },
      MODEL_STATE_VALUE[rt.slot.active || rt.target !== null || rt.failed ? rt.modelState : 'None'],
    );
    this.options.onStateChange?.(rt);
  }
}

function toInstalled(loaded: LoadedModel): InstalledModel {
  return { version: loaded.version, sha256: loaded.sha256, dir: loaded.dir };
}

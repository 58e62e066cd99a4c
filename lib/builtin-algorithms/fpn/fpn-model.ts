import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ClassFactory } from '../../algorithm-api/class-factory.js';
import { ClassType } from '../../algorithm-api/class-type.js';
import type {
  BaseModel,
  Detection,
  EvaluateOptions,
  Hyperparameters,
  ImageSource,
  PredictDict,
  TrainOptions,
} from '../../algorithm-api/types.js';
import type { Dataset } from '../../dataset/types.js';
import { EdgeStlError } from '../../errors/index.js';
import { loadImage, resizedSize, type ResizedImage } from '../../image/decode.js';
import { createLogger } from '../../log.js';
import { evaluateMetrics } from '../../metrics/evaluate.js';
import { activeBackend, initBackend, type BackendChoice } from '../../tf/backend.js';
import { Replica } from './replicas.js';
import { readCheckpoint, writeCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { resolveConfig, resolveLoadedConfig, type FpnConfig } from './config.js';
import { FpnDetector, inputTensor, padTo32, type RawDetection } from './detector.js';
import { packModel, unpackModel } from './model-zip.js';
import { exportFpnOnnx, ONNX_FILES } from './onnx-export.js';
import { OnnxFpnDetector } from './onnx-detector.js';
import { ONNX_OPSET } from './onnx-graph.js';
import { ParamStore } from './params.js';
import { MomentumSgd } from './sgd.js';
import { classesOf } from './train-data.js';
import { openBatchSource, type BatchSource } from './batch-source.js';
import { runTraining } from './trainer.js';
import { deserialize, serialize } from 'node:v8';

const log = createLogger('fpn');

/** Raised when a model is used before it was trained or loaded. */
export class ModelNotReadyError extends EdgeStlError {
  constructor(message: string) {
    super('MODEL_NOT_READY', message);
  }
}

/**
 * Faster R-CNN + FPN in TF.js, registered as ClassFactory `general/FPN`. Build it with
 * hyperparameters (`preset`, `backbone`, `learning_rate`, ...; see config.ts), then `train` or
 * `load`, then `predict` (Ianvs predict_dict) or `detect` (original-pixel boxes with class names).
 */
export class FpnModel implements BaseModel {
  private readonly hp: Hyperparameters;
  /** What the caller gave: it wins over what a loaded model stored. */
  private readonly given: Readonly<Hyperparameters>;
  private cfg: FpnConfig;
  private classes: string[] = [];
  private params?: ParamStore;
  private detector?: FpnDetector;
  private onnx?: OnnxFpnDetector;
  private engineNote = 'tfjs: no model loaded';
  private checkpointDir?: string;
  private metrics: Record<string, number> = {};
  private parentVersion: string | null = null;
  private trainInfo: {
    trainImages?: number;
    testImages?: number;
    trainSeconds?: number;
    iterations?: number;
  } = {};
  private readonly scratch: string[] = [];

  constructor(hyperparameters: Hyperparameters = {}) {
    this.hp = { ...hyperparameters };
    this.given = { ...hyperparameters };
    this.cfg = resolveConfig(this.hp);
  }

  /** The resolved configuration (after `load`, the model's own). */
  get config(): Readonly<FpnConfig> {
    return this.cfg;
  }

  /**
   * The inference engine serving `detect`/`predict` and why: `onnx` (ONNX Runtime, when the
   * package carries model.onnx) or `tfjs` (no ONNX graphs, `engine: tfjs`, or ORT did not load).
   */
  get engine(): { name: 'onnx' | 'tfjs'; note: string } {
    return { name: this.onnx ? 'onnx' : 'tfjs', note: this.engineNote };
  }

  /** Class names, label order. */
  get classNames(): readonly string[] {
    return this.classes;
  }

  private async ready(): Promise<void> {
    await initBackend((this.hp.backend as BackendChoice | undefined) ?? undefined);
  }

  private build(classes: string[]): void {
    this.params?.dispose();
    this.classes = classes;
    this.params = new ParamStore(this.cfg.seed);
    this.detector = new FpnDetector(this.cfg, classes.length, this.params);
    this.detector.build();
  }

  private async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.scratch.push(dir);
    return dir;
  }

  async train(trainData: Dataset, validData: Dataset | undefined, options: TrainOptions): Promise<string> {
    await this.ready();
    // Training changes the weights: an ONNX session of the loaded ones would answer for the old model.
    await this.onnx?.dispose();
    this.onnx = undefined;
    this.engineNote = 'tfjs: weights being trained';
    const given = this.hp.classes;
    const classes = Array.isArray(given)
      ? given.map(String)
      : this.classes.length
        ? this.classes
        : await classesOf(trainData);
    if (classes.length === 0)
      throw new EdgeStlError('NO_TRAINING_DATA', `${trainData.source} has no labeled objects`);
    if (!this.detector || classes.join() !== this.classes.join()) this.build(classes);
    // Metrics of a model loaded with --init do not describe the model this run produces.
    this.metrics = {};
    const optimizer = new MomentumSgd(
      this.params!,
      this.cfg.momentum,
      this.cfg.weight_decay,
      this.cfg.clip_norm,
    );
    let startIteration = 0;
    let batches: BatchSource | undefined;
    let replicas: Replica[] = [];
    try {
      let elapsedBefore = 0;
      if (options.resumeFrom)
        ({ iteration: startIteration, seconds: elapsedBefore } = await this.resume(
          options.resumeFrom,
          optimizer,
        ));
      ({ batches, replicas } = await this.openPipelines(trainData, classes, startIteration));
      if (batches.images === 0)
        throw new EdgeStlError('NO_TRAINING_DATA', `${trainData.source} has no labeled images`);
      log.info(
        {
          images: batches.images,
          classes,
          startIteration,
          maxIteration: this.cfg.max_iteration,
          preset: this.cfg.preset,
          dataWorkers: this.cfg.data_workers,
        },
        'Training FPN',
      );
      const result = await runTraining({
        detector: this.detector!,
        params: this.params!,
        cfg: this.cfg,
        classes,
        hyperparameters: this.hp,
        batches,
        replicas,
        options,
        startIteration,
        elapsedBefore,
        optimizer,
      });
      this.checkpointDir = result.checkpointDir;
      this.trainInfo = {
        trainImages: batches.images,
        trainSeconds: result.seconds,
        iterations: result.iterations,
      };
    } finally {
      optimizer.dispose();
      await Promise.all([batches?.close(), ...replicas.map((r) => r.close())]);
    }
    if (validData && !options.signal?.aborted) {
      this.metrics = await this.evaluateLoaded(validData);
      this.trainInfo.testImages = validData.samples.length;
      await this.annotateCheckpoint(this.checkpointDir, { metrics: this.metrics });
    }
    return this.checkpointDir;
  }

  /**
   * The batch pipeline of this thread and the data-parallel replicas, each taking
   * `batch_size / (train_workers + 1)` images per step. On failure nothing is left running.
   */
  private async openPipelines(
    trainData: Dataset,
    classes: string[],
    startIteration: number,
  ): Promise<{ batches: BatchSource; replicas: Replica[] }> {
    const replicaCount = Math.max(0, Math.floor(this.cfg.train_workers));
    const perReplica = {
      ...this.cfg,
      batch_size: Math.max(1, Math.floor(this.cfg.batch_size / (replicaCount + 1))),
    };
    const seed = this.cfg.seed * 7919 + startIteration;
    const samples = trainData.samples.filter((s) => s.annotationPath);
    const size = [...this.params!.vars.values()].reduce((a, v) => a + v.size, 0);
    const backend = (activeBackend()?.name ?? 'wasm') as BackendChoice;
    const replicaData = (i: number) => ({
      source: trainData.source,
      samples,
      classes,
      cfg: perReplica,
      seed: seed + 1000 * (i + 1),
      backend,
    });
    const [first, ...rest] = await Promise.allSettled([
      openBatchSource(trainData, classes, perReplica, seed),
      ...Array.from({ length: replicaCount }, (_, i) => Replica.start(replicaData(i), size)),
    ]);
    const replicas = rest.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = [first, ...rest].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed || first.status !== 'fulfilled') {
      await Promise.all([
        first.status === 'fulfilled' ? first.value.close() : undefined,
        ...replicas.map((r) => r.close()),
      ]);
      throw (failed as PromiseRejectedResult).reason;
    }
    return { batches: first.value, replicas };
  }

  private async resume(dir: string, optimizer: MomentumSgd): Promise<{ iteration: number; seconds: number }> {
    const { meta, weights, optimizer: opt } = await readCheckpoint(dir, true);
    if (meta.classes.join() !== this.classes.join()) {
      tf.dispose(Object.values(weights));
      throw new EdgeStlError(
        'BAD_CHECKPOINT',
        `checkpoint ${dir} has classes ${meta.classes.join(', ')}, expected ${this.classes.join(', ')}`,
      );
    }
    this.params!.assign(weights);
    tf.dispose(Object.values(weights));
    if (opt) optimizer.restore(opt);
    log.info({ dir, iteration: meta.iteration }, 'Resuming from checkpoint');
    return { iteration: meta.iteration, seconds: meta.trainSeconds ?? 0 };
  }

  private async annotateCheckpoint(dir: string | undefined, extra: Partial<CheckpointMeta>): Promise<void> {
    if (!dir) return;
    const path = join(dir, 'model.json');
    const meta = JSON.parse(await readFile(path, 'utf8')) as CheckpointMeta;
    await writeFile(path, JSON.stringify({ ...meta, ...extra }, null, 1));
  }

  /** Writes `model.zip` (weights + model.json + manifest.json) through the model package. */
  async save(path: string): Promise<string> {
    if (!this.params) throw new ModelNotReadyError('nothing to save: train or load a model first');
    const dir = await this.tempDir('edge-stl-fpn-save-');
    await writeCheckpoint(
      dir,
      {
        config: this.cfg,
        hyperparameters: this.hp,
        classes: this.classes,
        iteration: this.trainInfo.iterations ?? 0,
        metrics: this.metrics,
        trainSeconds: this.trainInfo.trainSeconds,
      },
      this.params.named(),
    );
    // The edge serves the same weights with ONNX Runtime; training stays on TF.js.
    const onnx = exportFpnOnnx(this.params, this.cfg, this.classes.length);
    await writeFile(join(dir, ONNX_FILES.features), onnx.features);
    await writeFile(join(dir, ONNX_FILES.boxHead), onnx.boxHead);
    await packModel(dir, path, {
      onnx: { files: [ONNX_FILES.features, ONNX_FILES.boxHead], opset: ONNX_OPSET },
      classes: this.classes,
      inputShortSide: this.cfg.short_side,
      hyperparameters: this.hp,
      metrics: this.metrics,
      parentVersion: this.parentVersion,
      training: this.trainInfo,
    });
    await rm(dir, { recursive: true, force: true });
    return path;
  }

  /** Loads a `model.zip` written by `save`, or a checkpoint directory written by `train`. Warms up. */
  async load(modelZip: string): Promise<void> {
    await this.ready();
    let dir = modelZip;
    let hasOnnx = false;
    if (!(await stat(modelZip)).isDirectory()) {
      dir = await this.tempDir('edge-stl-fpn-load-');
      const manifest = await unpackModel(modelZip, dir);
      hasOnnx = manifest.onnx?.files.includes(ONNX_FILES.features) === true;
      // A model trained from this one names it as its parent (when it was a published version).
      this.parentVersion = manifest.version ?? null;
      this.metrics = { ...manifest.metrics };
    }
    const { meta, weights } = await readCheckpoint(dir);
    try {
      this.cfg = resolveLoadedConfig(meta.config, this.given);
      Object.assign(this.hp, meta.hyperparameters, this.given);
      this.build(meta.classes);
      this.params!.assign(weights);
    } finally {
      tf.dispose(Object.values(weights));
    }
    this.trainInfo = { iterations: meta.iteration, trainSeconds: meta.trainSeconds };
    this.checkpointDir = dir;
    await this.openEngine(dir, hasOnnx);
    await this.warmUp();
    log.info({ model: modelZip, classes: this.classes, backbone: this.cfg.backbone }, 'FPN model loaded');
  }

  /**
   * ONNX Runtime when the package carries the graphs and `engine` allows it; TF.js otherwise,
   * with the reason logged (and kept in {@link engine} for the agent's /metrics).
   */
  private async openEngine(dir: string, hasOnnx: boolean): Promise<void> {
    await this.onnx?.dispose();
    this.onnx = undefined;
    const wanted = String(this.hp.engine ?? 'auto');
    if (wanted === 'tfjs') {
      this.engineNote = 'tfjs: engine=tfjs requested';
    } else if (!hasOnnx) {
      if (wanted === 'onnx')
        throw new EdgeStlError('NO_ONNX', 'engine=onnx: the model package has no model.onnx');
      this.engineNote = 'tfjs: the model package has no model.onnx';
      log.warn({}, 'No model.onnx in the model package: serving with TF.js');
    } else if (wanted === 'auto' && !typedArraysAreNative()) {
      this.engineNote = 'tfjs: ONNX Runtime cannot run in this VM context (its typed arrays are not native)';
      log.warn({}, 'Running inside a VM context: serving with TF.js');
    } else {
      const threads = Number(this.hp.onnx_threads ?? availableParallelism());
      try {
        this.onnx = await OnnxFpnDetector.open(dir, this.cfg, this.classes.length, threads);
        this.engineNote = `onnx: ONNX Runtime, ${threads} intra-op threads`;
      } catch (err) {
        if (wanted === 'onnx') throw err;
        this.engineNote = `tfjs: ONNX Runtime failed to load (${(err as Error).message})`;
        log.warn({ err }, 'ONNX Runtime failed to load: serving with TF.js');
      }
    }
    log.info({ engine: this.engine.name, note: this.engineNote }, 'FPN inference engine');
  }

  private async warmUp(): Promise<void> {
    const s = padTo32(this.cfg.short_side);
    if (this.onnx) {
      const blank = new Uint8Array(s * s * 3).fill(128);
      const img = {
        name: 'warm-up',
        data: blank,
        width: s,
        height: s,
        originalWidth: s,
        originalHeight: s,
        scaleX: 1,
        scaleY: 1,
      };
      await this.onnx.detect(img);
      return;
    }
    const x = tf.zeros([1, s, s, 3]) as tf.Tensor4D;
    try {
      await this.detector!.detect(x, s, s);
    } finally {
      x.dispose();
    }
  }

  private async run(img: ResizedImage): Promise<RawDetection[]> {
    if (!this.detector) throw new ModelNotReadyError('no model: train or load one first');
    if (this.onnx) return this.onnx.detect(img);
    const x = inputTensor([img], padTo32(img.height), padTo32(img.width));
    try {
      return await this.detector.detect(x, img.width, img.height);
    } finally {
      x.dispose();
    }
  }

  /** Ianvs predict_dict: per image basename, one entry per class, rows `[ymin, xmin, ymax, xmax, score]` in the 640-short-side frame. */
  async predict(images: ImageSource[]): Promise<PredictDict> {
    await this.ready();
    const out: PredictDict = {};
    let next = images.length ? loadImage(images[0], this.cfg.short_side) : undefined;
    for (let i = 0; i < images.length; i++) {
      const img = await next!;
      // Decode the next image (sharp, off the main thread) while this one runs through the net.
      next = i + 1 < images.length ? loadImage(images[i + 1], this.cfg.short_side) : undefined;
      next?.catch(() => undefined);
      const dets = await this.run(img);
      const frame = resizedSize(img.originalWidth, img.originalHeight, this.cfg.frame_short_side);
      const fx = frame.width / img.width;
      const fy = frame.height / img.height;
      out[img.name] = this.classes.map((name, c) => ({
        name,
        bbox: dets
          .filter((d) => d.label === c + 1)
          .map((d) => [d.box[1] * fy, d.box[0] * fx, d.box[3] * fy, d.box[2] * fx, d.score]),
      }));
    }
    return out;
  }

  /** Detections in original image pixels, with class names, best first. */
  async detect(image: ImageSource): Promise<Detection[]> {
    await this.ready();
    const img = await loadImage(image, this.cfg.short_side);
    const dets = await this.run(img);
    return dets
      .map((d) => ({
        class: this.classes[d.label - 1],
        score: d.score,
        box: {
          xmin: d.box[0] / img.scaleX,
          ymin: d.box[1] / img.scaleY,
          xmax: d.box[2] / img.scaleX,
          ymax: d.box[3] / img.scaleY,
        },
      }))
      .sort((a, b) => b.score - a.score);
  }

  private async evaluateLoaded(data: Dataset, metric?: string): Promise<Record<string, number>> {
    const predictDict = await this.predict(data.samples.map((s) => s.imagePath));
    const names = ['f1_score', 'mAP50'];
    if (metric && !names.includes(metric)) names.push(metric);
    return evaluateMetrics(data, predictDict, names, { classes: this.classes });
  }

  /** Metrics of `modelZip` (or the current model) on a labeled dataset: f1_score, mAP50 and `metric` if given. */
  async evaluate(
    data: Dataset,
    modelZip?: string,
    options: EvaluateOptions = {},
  ): Promise<Record<string, number>> {
    if (modelZip) await this.load(modelZip);
    return this.evaluateLoaded(data, options.metric);
  }

  async dispose(): Promise<void> {
    await this.onnx?.dispose();
    this.onnx = undefined;
    this.params?.dispose();
    this.params = undefined;
    this.detector = undefined;
    await Promise.all(this.scratch.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

/**
 * ONNX Runtime's binding hands back typed arrays of the process's own realm. Inside a VM context
 * (a test runner's sandbox), the realm's `Float32Array` is another one and ORT's own checks refuse
 * its outputs; worker threads and plain processes are unaffected.
 */
function typedArraysAreNative(): boolean {
  // v8's deserializer makes its objects in the process's own realm, as the binding does.
  return deserialize(serialize(new Float32Array(1))) instanceof Float32Array;
}

ClassFactory.register(ClassType.GENERAL, 'FPN')(FpnModel);

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PredictDict } from '../../../lib/algorithm-api/types.js';
import { formatVoc, loadDataset, type Dataset } from '../../../lib/dataset/index.js';
import { syntheticPcbSplit } from '../../support/synthetic-pcb.js';
import {
  evaluateDetections,
  evaluateMetrics,
  ianvsGroundTruthBox,
  metricByName,
  MetricError,
  predictedBoxes,
  readAnnotations,
} from '../../../lib/metrics/index.js';

describe('metricByName', () => {
  it('knows f1_score, mAP50 and f1@<iou>', () => {
    expect(metricByName('f1_score').name).toBe('f1_score');
    expect(metricByName('mAP50').name).toBe('mAP50');
    expect(metricByName('f1@0.5').name).toBe('f1@0.5');
    expect(metricByName('f1@.75').name).toBe('f1@.75');
  });

  it.each(['accuracy', 'f1@0', 'f1@1.5', 'f1@', 'F1_SCORE'])(
    'rejects %p, listing the valid names',
    (name) => {
      expect(() => metricByName(name)).toThrow(MetricError);
      expect(() => metricByName(name)).toThrow(/f1_score, mAP50, f1@<iou>/);
    },
  );
});

describe('predictedBoxes', () => {
  it('maps predict_dict rows from the 640 frame back to original pixels', () => {
    const annotations = [
      {
        annotationPath: '/d/Annotations/x.xml',
        annotation: { filename: 'x.jpeg', width: 800, height: 600, objects: [] },
      },
    ];
    // 800x600 -> frame 853x640: x * 800 / 853, y * 600 / 640.
    const [p] = predictedBoxes(annotations, { 'x.jpeg': [{ name: 'a', bbox: [[64, 853, 640, 853, 0.5]] }] });
    expect(p).toMatchObject({ image: 'x', class: 'a', score: 0.5 });
    expect(p!.box).toEqual({ xmin: 800, ymin: 60, xmax: 800, ymax: 600 });
  });
});

describe('evaluateDetections', () => {
  let dir: string;
  let dataset: Dataset;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evaluate-'));
    await mkdir(join(dir, 'Annotations'));
    await mkdir(join(dir, 'JPEGImages'));
    const objects = [
      { name: 'Bad_podu', xmin: 10, ymin: 20, xmax: 50, ymax: 60 },
      { name: 'Bad_qiaojiao', xmin: 100, ymin: 100, xmax: 130, ymax: 160 },
    ];
    await writeFile(
      join(dir, 'Annotations', 'a.xml'),
      formatVoc({ filename: 'a.jpeg', width: 600, height: 600, objects }),
    );
    await writeFile(join(dir, 'JPEGImages', 'a.jpeg'), 'not decoded here');
    await writeFile(join(dir, 'index.txt'), './JPEGImages/a.jpeg ./Annotations/a.xml\n');
    dataset = await loadDataset(join(dir, 'index.txt'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('returns { f1_score, mAP50 }', async () => {
    const [p, q] = (await readAnnotations(dataset))[0]!.annotation.objects.map((o) =>
      ianvsGroundTruthBox(o, 600, 600),
    );
    const perfect: PredictDict = {
      'a.jpeg': [
        { name: 'Bad_podu', bbox: [[...p!, 0.9]] },
        { name: 'Bad_qiaojiao', bbox: [[...q!, 0.8]] },
      ],
    };
    expect(await evaluateDetections(dataset, perfect)).toEqual({ f1_score: 1, mAP50: 1 });
    const onlyPodu: PredictDict = { 'a.jpeg': [{ name: 'Bad_podu', bbox: [[...p!, 0.9]] }] };
    expect(await evaluateDetections(dataset, onlyPodu)).toEqual({ f1_score: 0.5, mAP50: 0.5 });
    expect(await evaluateDetections(dataset, {})).toEqual({ f1_score: 0, mAP50: 0 });
  });

  it('computes named metrics, refusing an unknown name before reading anything', async () => {
    const r = await evaluateMetrics(dataset, {}, ['f1@0.5', 'f1_score']);
    expect(r).toEqual({ 'f1@0.5': 0, f1_score: 0 });
    await expect(evaluateMetrics(dataset, {}, ['recall'])).rejects.toMatchObject({ code: 'UNKNOWN_METRIC' });
  });

  it('scores 1 on a PCB-AoI-like test set when the ground truth itself is the prediction', async () => {
    const split = await syntheticPcbSplit({ line: 2, split: 'test_data', count: 20 });
    const pcb = await loadDataset(join(split, 'index.txt'));
    const annotations = await readAnnotations(pcb);
    expect(annotations).toHaveLength(20);
    const predict: PredictDict = {};
    for (const { annotation } of annotations) {
      const byClass = new Map<string, number[][]>();
      for (const o of annotation.objects) {
        const row = [...ianvsGroundTruthBox(o, annotation.width, annotation.height), 0.9];
        byClass.set(o.name, [...(byClass.get(o.name) ?? []), row]);
      }
      predict[annotation.filename] = [...byClass].map(([name, bbox]) => ({ name, bbox }));
    }
    expect(await evaluateDetections(pcb, predict)).toEqual({ f1_score: 1, mAP50: 1 });
  });
});

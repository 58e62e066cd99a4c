export { MetricError, type MetricErrorCode } from './metric-error.js';
export { pythonRound } from './python-round.js';
export { IANVS_SHORT_SIDE, ianvsFrameSize, ianvsGroundTruthBox } from './ianvs-frame.js';
export {
  IANVS_PCB_AOI_CLASSES,
  IANVS_IOU_THRESHOLD,
  ianvsF1Score,
  ianvsF1FromAnnotations,
  ianvsImageKey,
  type AnnotatedImage,
  type IanvsF1Options,
  type IanvsClassResult,
  type IanvsBoxMatch,
} from './ianvs-f1.js';
export {
  boxIou,
  allPointAp,
  detectionStats,
  f1AtIou,
  vocMap50,
  type GroundTruthBox,
  type PredictedBox,
  type ClassStats,
  type DetectionMetricOptions,
} from './detection-metrics.js';
export {
  METRIC_NAMES,
  metricByName,
  evaluateDetections,
  evaluateMetrics,
  readAnnotations,
  groundTruthBoxes,
  predictedBoxes,
  type DetectionMetric,
  type EvaluateOptions,
} from './evaluate.js';

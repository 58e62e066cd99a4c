/** The labeling service's defaults, declared once: the service and `edge-stl labeling --help` use them. */
export const LABELING_DEFAULTS = {
  host: '0.0.0.0',
  port: 8090,
  /** Auto-labeling period, ms. */
  autoIntervalMs: 30_000,
  /** The teacher's detections below this score are not labels. */
  teacherScoreThreshold: 0.3,
} as const;

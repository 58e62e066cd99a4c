/**
 * The prefix of every edge-stl Prometheus metric, so that one `edge_stl_.*` selects the whole
 * system in dashboards and alerts.
 */
export const METRIC_PREFIX = 'edge_stl_';

/** The services that serve `/metrics`. */
export type MetricService = 'operator' | 'agent' | 'trainer' | 'labeling';

/** `edge_stl_<service>_`: how every metric name of `service` starts (process metrics included). */
export function metricPrefix(service: MetricService): string {
  return `${METRIC_PREFIX}${service}_`;
}

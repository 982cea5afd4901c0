/**
 * A deliberately tiny Prometheus registry: request counts by route and status, and a latency
 * histogram by route. Enough for dashboards and alerts on the API without a metrics dependency;
 * the worker exports Temporal's own SDK metrics separately.
 */

const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}="${escapeLabelValue(labels[name]!)}"`)
    .join(',');
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

interface HistogramSeries {
  labels: string;
  bucketCounts: number[];
  sum: number;
  count: number;
}

export class ApiMetrics {
  private readonly requestCounts = new Map<string, number>();
  private readonly latency = new Map<string, HistogramSeries>();
  private readonly startedAt = Date.now();

  /** `route` is the matched route pattern (`/v1/purchase-orders/:poNumber`), never the raw path, to bound cardinality. */
  observeRequest(request: { method: string; route: string; status: number; durationSeconds: number }): void {
    const counterKey = labelKey({ method: request.method, route: request.route, status: String(request.status) });
    this.requestCounts.set(counterKey, (this.requestCounts.get(counterKey) ?? 0) + 1);

    const histogramKey = labelKey({ method: request.method, route: request.route });
    let series = this.latency.get(histogramKey);
    if (!series) {
      series = { labels: histogramKey, bucketCounts: LATENCY_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(histogramKey, series);
    }
    LATENCY_BUCKETS_SECONDS.forEach((upperBound, index) => {
      if (request.durationSeconds <= upperBound) series.bucketCounts[index]! += 1;
    });
    series.sum += request.durationSeconds;
    series.count += 1;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    lines.push('# HELP http_requests_total HTTP requests handled by the P2P API, by route and status.');
    lines.push('# TYPE http_requests_total counter');
    for (const [labels, count] of this.requestCounts) lines.push(`http_requests_total{${labels}} ${count}`);

    lines.push('# HELP http_request_duration_seconds Time to answer an HTTP request, by route.');
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const series of this.latency.values()) {
      LATENCY_BUCKETS_SECONDS.forEach((upperBound, index) => {
        lines.push(`http_request_duration_seconds_bucket{${series.labels},le="${upperBound}"} ${series.bucketCounts[index]}`);
      });
      lines.push(`http_request_duration_seconds_bucket{${series.labels},le="+Inf"} ${series.count}`);
      lines.push(`http_request_duration_seconds_sum{${series.labels}} ${series.sum}`);
      lines.push(`http_request_duration_seconds_count{${series.labels}} ${series.count}`);
    }

    lines.push('# HELP process_uptime_seconds Seconds since this API process started.');
    lines.push('# TYPE process_uptime_seconds gauge');
    lines.push(`process_uptime_seconds ${(Date.now() - this.startedAt) / 1000}`);
    return `${lines.join('\n')}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The API's Prometheus metrics (prom-client): request counts by route and status, a latency
 * histogram by route, and prom-client's default process and Node.js metrics. Each app has its own
 * registry, so several apps in one process (tests) do not share counters; the worker exports
 * Temporal's own SDK metrics separately.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ApiMetrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled by the P2P API, by route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  constructor() {
    new Gauge({
      name: 'process_uptime_seconds',
      help: 'Seconds since this API process started.',
      registers: [this.registry],
      collect() {
        this.set(process.uptime());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** `route` is the matched route pattern (`/v1/purchase-orders/:poNumber`), never the raw path, to bound cardinality. */
  observeRequest(request: { method: string; route: string; status: number; durationSeconds: number }): void {
    const { method, route } = request;
    this.requests.inc({ method, route, status: String(request.status) });
    this.latency.observe({ method, route }, request.durationSeconds);
  }

  /** Prometheus text exposition format, with its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/**
 * OpenTelemetry tracing (docs/operations.md#tracing, ADR 0070): one trace from the HTTP request
 * through the Update, the workflow task and the activity to its SQL.
 *
 * - HTTP, Express and pg are instrumented by the Node SDK's instrumentations (they patch modules
 *   as they load, so `startTracing` runs before anything else: api/tracing.ts, workers/tracing.ts).
 * - Temporal's interceptors carry the context across: the client interceptor puts it in the
 *   Update's headers, the workflow interceptors (workflows/tracing-interceptors.ts, in every
 *   workflow bundle: temporal-config/workflow-interceptors.ts) continue it in the workflow task,
 *   the activity interceptor in the activity.
 * - Workflow spans are made inside the workflow sandbox and leave it through the `exporter` sink.
 *
 * Off unless an OTLP endpoint is configured (TracingSettings in env.ts): then no SDK is started,
 * no module is patched and no interceptor is installed. The OTel SDK reads the other standard
 * variables itself (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_BSP_*).
 */
import type { IncomingMessage } from 'node:http';
import type { ClientInterceptors } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from './env';
import type { OtlpProtocol, TracingSettings } from './env';

/** Probes and scrapes are not worth a trace each. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface TracingOptions {
  serviceName: string;
  protocol?: OtlpProtocol;
  /** Replaces the OTLP exporter, e.g. an in-memory one in tests. */
  spanProcessor?: SpanProcessor;
}

export interface Tracing {
  /** For `new Client({ interceptors })`: Updates, starts and queries carry the trace context. */
  clientInterceptors: ClientInterceptors;
  /** For the worker's `interceptors.activity`: activities continue the workflow's trace. */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** For the worker's `sinks`: workflow spans leave the sandbox through `exporter`. */
  sinks: InjectedSinks<never>;
  /** Flushes the spans still buffered; call on the way out. */
  shutdown(): Promise<void>;
}

/*
 * The OpenTelemetry SDK is loaded only when tracing starts: with tracing off a process loads none
 * of it (the requires below are typed by the `import type`s above).
 */
/* eslint-disable @typescript-eslint/no-require-imports */

function otlpExporter(protocol: OtlpProtocol): SpanExporter {
  // Each exporter reads its endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_*.
  if (protocol === 'grpc') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
    return new OTLPTraceExporter();
  }
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}

/**
 * Temporal's workflow exporter (interceptors 1.24) rebuilds workflow spans in the shape of
 * OpenTelemetry JS 1.x (`parentSpanId`, `instrumentationLibrary`); the 2.x SDK this project runs
 * (Express 5 needs it, ADR 0070) reads `parentSpanContext` and `instrumentationScope`. Without
 * this translation the workflow spans would reach the collector without their parent.
 */
export function workflowSpanProcessor(processor: SpanProcessor, resource: Resource): Pick<SpanProcessor, 'onEnd'> {
  return {
    onEnd(span: ReadableSpan) {
      const { parentSpanId, instrumentationLibrary, ...rest } = span as ReadableSpan & {
        parentSpanId?: string;
        instrumentationLibrary?: ReadableSpan['instrumentationScope'];
      };
      const own = span.spanContext();
      processor.onEnd({
        ...rest,
        spanContext: () => own,
        parentSpanContext: parentSpanId ? { traceId: own.traceId, spanId: parentSpanId, traceFlags: own.traceFlags, isRemote: false } : undefined,
        instrumentationScope: instrumentationLibrary ?? span.instrumentationScope ?? { name: '@temporalio/interceptor-workflow' },
        resource,
      });
    },
  };
}

/** Starts the OpenTelemetry SDK for this process. Call before express, pg or http are loaded. */
export function startTracing(options: TracingOptions): Tracing {
  const { defaultResource, detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation, ExpressLayerType } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const temporal = require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry');
  const resource = defaultResource()
    .merge(detectResources({ detectors: [hostDetector, processDetector] }))
    .merge(resourceFromAttributes({ 'service.name': options.serviceName }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
    .merge(detectResources({ detectors: [envDetector] }));
  const spanProcessor = options.spanProcessor ?? new BatchSpanProcessor(otlpExporter(options.protocol ?? 'http/protobuf'));
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    spanProcessors: [spanProcessor],
    // Traces only: metrics are prom-client's (api/metrics.ts), logs are winston's.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
      }),
      // Routers and handlers, not every middleware (helmet, body parser, ...) of every request.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // Only SQL that belongs to a traced request or activity: the outbox relay's polling and
      // pool housekeeping would otherwise start a trace of their own every second. No parameter
      // values: they are business data.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();

  return {
    clientInterceptors: { workflow: [new temporal.OpenTelemetryWorkflowClientInterceptor()] },
    activityInterceptors: [
      (ctx) => ({
        inbound: new temporal.OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new temporal.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: temporal.makeWorkflowExporter(workflowSpanProcessor(spanProcessor, resource) as never, resource as never) } as InjectedSinks<never>,
    shutdown: () => sdk.shutdown(),
  };
}

/**
 * The worker's sinks when tracing is off: the workflow interceptor module is in every bundle either
 * way, and a PO traced by some other client finds its `exporter` sink (the spans are dropped).
 */
export const UNTRACED_SINKS = { exporter: { export: { fn: () => undefined, callDuringReplay: false } } } as InjectedSinks<never>;

/** Tracing as configured (TracingSettings in env.ts), or undefined when it is off. */
export function tracingFromSettings(settings: TracingSettings, defaultServiceName: string): Tracing | undefined {
  if (!settings.enabled) return undefined;
  return startTracing({ serviceName: settings.serviceName ?? defaultServiceName, protocol: settings.protocol });
}

/**
 * For the processes' first import (api/tracing.ts, workers/tracing.ts). An invalid configuration
 * starts no tracing here: the process's own loadConfig() reports it, with every other problem.
 */
export function tracingFromEnvironment(defaultServiceName: string): Tracing | undefined {
  let settings: TracingSettings;
  try {
    settings = loadConfig().tracing;
  } catch {
    return undefined;
  }
  return tracingFromSettings(settings, defaultServiceName);
}

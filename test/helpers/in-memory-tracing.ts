/**
 * Tracing into memory for a test file. Import it FIRST in the file: the HTTP, Express and pg
 * instrumentations patch those modules as they load, as api/tracing.ts does for the real API.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing } from '../../temporal-config/tracing';

export const spanExporter = new InMemorySpanExporter();
export const tracing = startTracing({ serviceName: 'p2p-test', spanProcessor: new SimpleSpanProcessor(spanExporter) });

export function finishedSpans(): ReadableSpan[] {
  return spanExporter.getFinishedSpans();
}

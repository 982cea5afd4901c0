/**
 * api/main.ts imports this module first: the HTTP, Express and pg instrumentations patch those
 * modules as they load, so tracing must start before anything requires them. Off unless an OTLP
 * endpoint is configured (docs/operations.md#tracing).
 */
import { tracingFromEnvironment } from '../temporal-config/tracing';

export const tracing = tracingFromEnvironment('p2p-api');

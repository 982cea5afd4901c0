/**
 * Per-request context: the request id every response carries, the authenticated actor, and the
 * PO a request is about, so the one log line per request can say who did what to which PO.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import type winston from 'winston';
import { currentTraceId } from '../temporal-config/logging';
import type { Actor } from '../workflows/domain/state';
import type { ApiMetrics } from './metrics';

export interface RequestContext {
  requestId: string;
  /** The request's OpenTelemetry trace, when tracing is on: in the request log line and in problems. */
  traceId?: string;
  startedAt: bigint;
  /** Set by authentication; absent on public endpoints and failed authentication. */
  actor?: Actor;
  /** Set by PO routes, for the request log. */
  poNumber?: string;
  /** Set when an Idempotency-Key replayed a stored response. */
  idempotentReplay?: boolean;
  /** The matched route pattern, recorded while the router still knows its mount path. */
  route?: string;
}

declare global {
  namespace Express {
    interface Request {
      context: RequestContext;
    }
  }
}

/** A caller-supplied id is kept only if it is short and harmless in logs and headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

export function requestIdFrom(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && SANE_REQUEST_ID.test(candidate) ? candidate : randomUUID();
}

/**
 * The route pattern for metrics (bounded cardinality), or `unmatched`. Express resets
 * `req.baseUrl` as a request leaves each router, so the full pattern is recorded by
 * `recordRoute` while the route runs.
 */
export function routeLabel(req: Request): string {
  if (req.context.route) return req.context.route;
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
}

/** Call from inside a route's middleware chain (authorization does) to pin the route label. */
export function recordRoute(req: Request): void {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') req.context.route = `${req.baseUrl}${pattern}`;
}

/**
 * First middleware: assigns the request id, echoes it, and when the response is finished writes
 * one structured log line and the request metrics.
 */
export function requestContext(logger: winston.Logger, metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    const traceId = currentTraceId();
    req.context = { requestId, ...(traceId ? { traceId } : {}), startedAt: process.hrtime.bigint() };
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.once('finish', () => {
      const durationSeconds = Number(process.hrtime.bigint() - req.context.startedAt) / 1e9;
      const route = routeLabel(req);
      metrics.observeRequest({ method: req.method, route, status: res.statusCode, durationSeconds });
      const { actor, poNumber, idempotentReplay } = req.context;
      logger.log(res.statusCode >= 500 ? 'error' : 'info', 'request', {
        requestId,
        ...(traceId ? { traceId } : {}),
        method: req.method,
        // The full path without the query string: inside a router `req.path` is relative to its mount.
        path: req.originalUrl.split('?')[0],
        route,
        status: res.statusCode,
        durationMs: Math.round(durationSeconds * 1e6) / 1e3,
        role: actor?.role,
        actorId: actor?.id,
        supplierId: actor?.supplierId,
        poNumber,
        ...(idempotentReplay ? { idempotentReplay } : {}),
      });
    });
    next();
  };
}

/**
 * Requests Node refuses before Express sees them (headers over the size limit: 431; a request
 * line that is not HTTP: 400) still get a problem+json body and an x-request-id, as every
 * response must. Attach to the HTTP server the app listens on.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
    const title = status === 431 ? 'Request Header Fields Too Large' : status === 413 ? 'Payload Too Large' : 'Bad Request';
    const requestId = randomUUID();
    const body = JSON.stringify({
      type: 'about:blank',
      title,
      status,
      detail: status === 431 ? 'The request headers are larger than this API accepts.' : 'The request is not valid HTTP.',
      requestId,
    });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

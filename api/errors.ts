/**
 * Every failure the API reports is an RFC 9457 problem (`application/problem+json`), produced in
 * ONE place: `problemMiddleware`. Handlers throw typed errors (or let zod, Temporal and knex throw
 * theirs); this file decides the status. Stack traces go to the log, never to the caller.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import {
  QueryNotRegisteredError,
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type winston from 'winston';

export interface ProblemFieldError {
  /** Dotted path into the body, e.g. `lines.0.quantity`; empty for the body itself. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine-readable code for business refusals, e.g. `ASN_EXCEEDS_OPEN_QUANTITY`. */
  code?: string;
  errors?: ProblemFieldError[];
  requestId?: string;
  /** The OpenTelemetry trace of the request, when tracing is on (docs/operations.md#tracing). */
  traceId?: string;
}

/** Problem type URIs: `about:blank` for plain HTTP errors (RFC 9457 §4.2.1), a URN per business code. */
export function problemType(code: string | undefined): string {
  return code ? `urn:p2p-orchestrator:problem:${code.toLowerCase().replace(/_/g, '-')}` : 'about:blank';
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly errors?: ProblemFieldError[],
    /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the body or a parameter is malformed. */
export class InputError extends ApiError {
  constructor(message: string, errors?: ProblemFieldError[], code?: string) {
    super(400, message, code, errors);
  }
}

/** 401: no key, or a key we do not know. */
export class UnauthorizedError extends ApiError {
  constructor(message = 'A valid API key is required: Authorization: Bearer <key>') {
    super(401, message, undefined, undefined, { 'WWW-Authenticate': 'Bearer realm="p2p-orchestrator"' });
  }
}

/** 403: a known key whose role may not do this. */
export class ForbiddenError extends ApiError {
  constructor(message: string) {
    super(403, message);
  }
}

/** 404: unknown, or (for a supplier) not theirs: the two must be indistinguishable. */
export class NotFoundError extends ApiError {
  constructor(message: string, code?: string) {
    super(404, message, code);
  }
}

/** 409: conflicts with the current state, or the same business key with another body. */
export class ConflictError extends ApiError {
  constructor(message: string, code?: string, headers: Record<string, string> = {}) {
    super(409, message, code, undefined, headers);
  }
}

/** 413: over the configured body limit. */
export class PayloadTooLargeError extends ApiError {
  constructor(message: string) {
    super(413, message);
  }
}

/** 422: well-formed, but a business rule refuses it. */
export class UnprocessableError extends ApiError {
  constructor(message: string, code?: string) {
    super(422, message, code);
  }
}

/** 429: over the rate limit of this key. */
export class RateLimitedError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, 'RATE_LIMITED', undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** 503: Temporal or the database cannot be reached; the caller should retry later. */
export class ServiceUnavailableError extends ApiError {
  constructor(message: string, code = 'SERVICE_UNAVAILABLE', retryAfterSeconds = 5) {
    super(503, message, code, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * 503 WORKER_UNAVAILABLE: Temporal answers, but no worker answered for the purchase order in time
 * (none polls its task queue, or the one that took the query or Update died or is overloaded).
 * The operator checks the workers, not Temporal (docs/operations.md, "Which part is down").
 */
export class WorkerUnavailableError extends ServiceUnavailableError {
  constructor(message = 'No worker answered for the purchase order in time (Temporal is up; the workers are down or overloaded); retry the same request shortly.') {
    super(message, 'WORKER_UNAVAILABLE', 2);
  }
}

export function temporalUnavailable(): ServiceUnavailableError {
  return new ServiceUnavailableError('The workflow service (Temporal) is unavailable.', 'TEMPORAL_UNAVAILABLE');
}

/** Temporal's frontend answers a query no worker took in time with DEADLINE_EXCEEDED and this text. */
const QUERY_NOT_TAKEN = /query timed out before a worker could process it/i;

/**
 * gRPC codes a query or an Update acceptance fails with when no worker answers: the deadline
 * passed (DEADLINE_EXCEEDED), the worker holding the task died (CANCELLED, "context canceled"), or
 * the workflow task cannot run (FAILED_PRECONDITION, WorkflowNotReady).
 */
const WORKER_UNANSWERED_CODES = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 9 /* FAILED_PRECONDITION */]);

/**
 * True when a call that needs a worker (a query, an Update's acceptance) failed the way it fails
 * when no worker answers. Whether Temporal itself is reachable is decided by the caller, from
 * Temporal's description of the task queue (api/worker-availability.ts).
 */
export function isUnansweredByWorker(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (QUERY_NOT_TAKEN.test(cause.message)) return true;
    if (isGrpcServiceError(cause) && WORKER_UNANSWERED_CODES.has(cause.code)) return true;
  }
  return false;
}

/**
 * For a listing's `.catch`: a cursor the store refused is the caller's fault (400 INVALID_CURSOR).
 * A forged cursor can decode yet still be refused by PostgreSQL (data exception class 22): a date
 * it cannot read, a NUL byte. Either way the cursor is at fault, not the server.
 */
export function cursorRefusal(cursor: string | undefined): (error: unknown) => never {
  return (error) => {
    const code = (error as { code?: unknown }).code;
    if (code === 'INVALID_CURSOR' || (cursor !== undefined && typeof code === 'string' && code.startsWith('22'))) {
      throw new InputError('The cursor is not valid; start again without one.', [{ path: 'cursor', message: 'invalid cursor' }], 'INVALID_CURSOR');
    }
    throw error;
  };
}

const DOMAIN_KIND_STATUS: Record<string, number> = { conflict: 409, unprocessable: 422, not_found: 404 };

/**
 * gRPC codes meaning "Temporal could not serve this right now", not "your request is wrong". A
 * call cancelled under us (the worker or server holding it went away) or an internal error of the
 * server is worth a retry, never a bare 500.
 */
const GRPC_UNAVAILABLE_CODES = new Set([
  1 /* CANCELLED */,
  2 /* UNKNOWN */,
  4 /* DEADLINE_EXCEEDED */,
  8 /* RESOURCE_EXHAUSTED */,
  13 /* INTERNAL */,
  14 /* UNAVAILABLE */,
]);

/**
 * Temporal refuses an Update while the workflow's task keeps failing or timing out (FAILED_PRECONDITION,
 * "Workflow Task in failed state"): its worker died and the task waits for another one. A passing
 * state, seen under `npm run chaos` when workers are killed (docs/adr/0066).
 */
function workflowTaskFailing(error: unknown): boolean {
  // An Update answers it as a ServiceError's gRPC cause; update-with-start as the gRPC error itself,
  // its message replaced by the operation's.
  if (!isGrpcServiceError(error) || error.code !== 9) return false;
  return /workflow task in failed state/i.test(`${error.details ?? ''} ${error.message}`);
}

/** node/pg/knex signals that the database is down or saturated. */
const DATABASE_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001',
  '08003',
  '08006',
]);

export function zodIssuesToErrors(error: ZodError): ProblemFieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * Maps anything thrown to the problem the caller sees. Unknown errors become a 500 whose detail
 * says nothing about internals.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) {
    return new InputError('The request is invalid; see errors for each problem.', zodIssuesToErrors(error));
  }
  if (error instanceof WorkflowUpdateFailedError) return fromUpdateFailure(error);
  if (error instanceof WorkflowNotFoundError) return new NotFoundError('No such purchase order.', 'PURCHASE_ORDER_NOT_FOUND');
  // The `status` query throws while a just-started PO is still being recorded (PO_NOT_READY).
  if (error instanceof QueryNotRegisteredError && /PO_NOT_READY|still being issued/.test(error.message)) {
    // A passing state, not a verdict: Retry-After says so (and keeps an Idempotency-Key reusable).
    return new ConflictError('The purchase order is still being issued; retry shortly.', 'PO_NOT_READY', { 'Retry-After': '1' });
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ServiceUnavailableError(
      'The purchase order did not finish this command in time; retry the same request later (it will not run twice).',
      'COMMAND_TIMEOUT',
    );
  }
  if (workflowTaskFailing(error) || (error instanceof ServiceError && workflowTaskFailing(error.cause))) {
    return new WorkerUnavailableError("The purchase order's workflow is being taken over by another worker; retry the same request shortly (it will not run twice).");
  }
  // Temporal answered that no worker took the query: the workers are down, not Temporal.
  if (error instanceof Error && (QUERY_NOT_TAKEN.test(error.message) || (error.cause instanceof Error && QUERY_NOT_TAKEN.test(error.cause.message)))) {
    return new WorkerUnavailableError();
  }
  if (error instanceof ServiceError) {
    const cause = error.cause;
    if (!isGrpcServiceError(cause) || GRPC_UNAVAILABLE_CODES.has(cause.code)) return temporalUnavailable();
  }
  if (isGrpcServiceError(error) && GRPC_UNAVAILABLE_CODES.has(error.code)) return temporalUnavailable();
  if (isDatabaseUnavailable(error)) {
    return new ServiceUnavailableError('The ERP database is unavailable.', 'DATABASE_UNAVAILABLE');
  }
  // The router could not percent-decode a path segment (`/v1/purchase-orders/%E0%A4%A`).
  if (error instanceof URIError) {
    return new InputError('The URL is not valid: a path segment is not valid percent-encoding.', undefined, 'MALFORMED_URL');
  }
  const bodyParserError = fromBodyParser(error);
  if (bodyParserError) return bodyParserError;
  return new ApiError(500, 'An unexpected error occurred; it has been logged with this request id.');
}

function fromUpdateFailure(error: WorkflowUpdateFailedError): ApiError {
  const failure = error.cause;
  if (!(failure instanceof ApplicationFailure)) {
    return new UnprocessableError(failure?.message ?? error.message, 'COMMAND_REJECTED');
  }
  const detail = failure.details?.[0] as { kind?: string } | undefined;
  const status = detail?.kind ? DOMAIN_KIND_STATUS[detail.kind] : undefined;
  const code = failure.type ?? 'COMMAND_REJECTED';
  if (status) return new ApiError(status, failure.message, code);
  // A validator that re-checked the body with the shared zod schema: the body is at fault.
  if (code === 'ZodError' || code === 'INVALID_COMMAND') return new InputError(failure.message, undefined, code);
  return new UnprocessableError(failure.message, code);
}

function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string' && DATABASE_UNAVAILABLE_CODES.has(code)) return true;
  // AggregateError from a connection attempt to every resolved address.
  const nested = (error as { errors?: unknown }).errors;
  return Array.isArray(nested) && nested.some(isDatabaseUnavailable);
}

/** body-parser reports its refusals as errors with a `type` and a `status`. */
function fromBodyParser(error: unknown): ApiError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status, limit } = error as { type?: unknown; status?: unknown; limit?: unknown };
  if (typeof status !== 'number') return undefined;
  // A body that does not inflate (`Content-Encoding: gzip` on a plain body) comes as an untyped
  // 400 from body-parser: still the caller's fault, never a 500.
  if (typeof type !== 'string') {
    return status >= 400 && status < 500 ? new ApiError(status, 'The request could not be read; check the body and its Content-Encoding.') : undefined;
  }
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(`The body exceeds the limit of ${typeof limit === 'number' ? `${limit} bytes` : 'this API'}.`);
    case 'entity.parse.failed':
      return new InputError('The body is not valid JSON.', undefined, 'MALFORMED_JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'Send the body as UTF-8 JSON.');
    case 'request.aborted':
      return new ApiError(400, 'The request was aborted by the client.');
    default:
      return status >= 400 && status < 500 ? new ApiError(status, 'The request body could not be read.') : undefined;
  }
}

export function sendProblem(res: Response, error: ApiError, requestId: string | undefined, traceId?: string): void {
  const problem: Problem = {
    type: problemType(error.code),
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    ...(error.code ? { code: error.code } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
    ...(requestId ? { requestId } : {}),
    ...(traceId ? { traceId } : {}),
  };
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).type('application/problem+json').json(problem);
}

/** Unknown routes are 404 problems like any other. */
export const unknownRoute: RequestHandler = (req) => {
  throw new NotFoundError(`No route for ${req.method} ${req.path}.`);
};

/** The one error middleware. 5xx are logged with their stack; 4xx are the caller's business. */
export function problemMiddleware(logger: winston.Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const apiError = toApiError(error);
    const requestId = req.context?.requestId;
    const traceId = req.context?.traceId;
    if (apiError.status >= 500) {
      logger.error('request failed', {
        requestId,
        ...(traceId ? { traceId } : {}),
        method: req.method,
        path: req.path,
        status: apiError.status,
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
        cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
      });
    }
    if (res.headersSent) {
      next(error);
      return;
    }
    sendProblem(res, apiError, requestId, traceId);
  };
}

/**
 * The `Idempotency-Key` request header on any write (IETF httpapi Idempotency-Key draft):
 * - first request with a key: runs, and its response is stored (5xx responses, and any response
 *   with Retry-After, release the key instead, so the client may retry);
 * - same key, same request, finished: the stored response is replayed (`Idempotent-Replayed: true`);
 * - same key, another request: 422; same key while the first is still running: 409;
 * - the first request's claim is a lease its instance renews while it runs: if that instance dies,
 *   a retry takes the claim over once the lease (IDEMPOTENCY_LEASE_MS, 10 s) has run out.
 *
 * Records live behind IdempotencyRecordsPort (PostgreSQL in the reference adapter,
 * activities/erp/knex-idempotency.ts), scoped to the caller, so the guarantee holds across API
 * instances and under concurrent duplicates.
 */
import type { Request, RequestHandler, Response } from 'express';
import type winston from 'winston';
import type { IdempotencyKeyRef, IdempotencyRecordsPort, StoredResponse } from '../activities/ports';
import { callerOf } from './auth';
import { presentedBody } from './supplier-view';
import { canonicalJson, sha256Hex } from './canonical';
import { ConflictError, InputError, UnprocessableError } from './errors';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Response headers worth replaying; the rest (request id, rate limit) describe the new request. */
const REPLAYED_HEADERS = ['content-type', 'location'];

/** The draft makes the value a structured-field string (`"abc"`); bare tokens are accepted too. */
export function parseIdempotencyKey(header: string): string {
  const unquoted = /^"(.*)"$/.exec(header.trim())?.[1] ?? header.trim();
  if (!/^[\x21-\x7e]{1,255}$/.test(unquoted)) {
    throw new InputError('Idempotency-Key must be 1 to 255 visible ASCII characters.', [
      { path: 'header.Idempotency-Key', message: 'invalid value' },
    ], 'INVALID_IDEMPOTENCY_KEY');
  }
  return unquoted;
}

function requestFingerprint(req: Request): string {
  return sha256Hex(canonicalJson({ method: req.method, path: `${req.baseUrl}${req.path}`, body: req.body ?? null }));
}

function replay(res: Response, stored: StoredResponse): void {
  for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
  res.setHeader('Idempotent-Replayed', 'true');
  res.status(stored.status).send(stored.body);
}

/** Purges expired keys roughly once per this many claims, so no scheduler is needed. */
const PURGE_EVERY = 200;

/**
 * Route middleware for writes. Put it after authentication and the role check (a refused caller
 * must not consume the key) and before the handler.
 */
export function idempotencyKeys(store: IdempotencyRecordsPort, logger: winston.Logger): RequestHandler {
  let claims = 0;
  return async (req, res, next) => {
    const header = req.get(IDEMPOTENCY_KEY_HEADER);
    if (header === undefined) {
      next();
      return;
    }
    const ref: IdempotencyKeyRef = { key: parseIdempotencyKey(header), principal: callerOf(req).id };
    const claim = await store.claim({
      ...ref,
      method: req.method,
      path: `${req.baseUrl}${req.path}`,
      requestHash: requestFingerprint(req),
    });
    if (++claims % PURGE_EVERY === 0) {
      store.purgeExpired().catch((error: unknown) => logger.warn('purging expired idempotency keys failed', { error: String(error) }));
    }
    switch (claim.outcome) {
      case 'replay':
        req.context.idempotentReplay = true;
        replay(res, claim.response);
        return;
      case 'mismatch':
        throw new UnprocessableError(
          'This Idempotency-Key was already used for a different request; use a new key for a new request.',
          'IDEMPOTENCY_KEY_REUSED',
        );
      case 'in_flight':
        throw new ConflictError(
          'A request with this Idempotency-Key is still being processed; retry once it has finished.',
          'IDEMPOTENCY_KEY_IN_FLIGHT',
        );
      case 'acquired':
        break;
    }

    // The claim is a lease: renewed while this request runs, so a retry waits for it (409), but a
    // retry after this process died takes it over within one lease.
    const lease = setInterval(() => {
      store
        .renew(ref)
        .then((held) => {
          if (!held) logger.warn('an idempotency claim was taken over while its request ran', { requestId: req.context.requestId });
        })
        .catch((error: unknown) => logger.warn('renewing an idempotency claim failed', { requestId: req.context.requestId, error: String(error) }));
    }, Math.max(1, Math.floor(store.leaseMs / 3)));
    lease.unref();

    // Record the outcome BEFORE the response leaves: a client that has seen the answer and
    // retries must get the replay, never a spurious "still in flight".
    let settled = false;
    const sendJson = res.json.bind(res);
    res.json = (body: unknown) => {
      if (settled) return sendJson(body);
      settled = true;
      clearInterval(lease);
      const status = res.statusCode;
      // Stored as the caller sees it, so a replay to a supplier key is projected too.
      const serialized = JSON.stringify(presentedBody(callerOf(req).role, status, body));
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const value = res.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      if (!headers['content-type']) headers['content-type'] = 'application/json; charset=utf-8';
      // A 5xx, or any answer that tells the client to come back later (Retry-After: PO_NOT_READY),
      // is not the request's outcome: storing it would replay "retry later" to every retry.
      const transient = status >= 500 || res.getHeader('retry-after') !== undefined;
      const recorded = transient ? store.release(ref) : store.complete(ref, { status, headers, body: serialized });
      recorded
        .catch((error: unknown) =>
          logger.warn('recording an idempotent response failed', { requestId: req.context.requestId, error: String(error) }),
        )
        .finally(() => sendJson(body));
      return res;
    };
    res.once('close', () => {
      clearInterval(lease);
      if (settled) return;
      settled = true;
      store.release(ref).catch((error: unknown) => logger.warn('releasing an idempotency key failed', { error: String(error) }));
    });
    next();
  };
}

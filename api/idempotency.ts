/**
 * The `Idempotency-Key` request header on any write (IETF httpapi Idempotency-Key draft):
 * - first request with a key: runs, and its response is stored (5xx responses, and any response
 *   with Retry-After, release the key instead, so the client may retry);
 * - same key, same request, finished: the stored response is replayed (`Idempotent-Replayed: true`);
 * - same key, another request: 422; same key while the first is still running: 409.
 *
 * Records live in PostgreSQL (`api_idempotency_keys`), scoped to the caller, so the guarantee
 * holds across API instances and under concurrent duplicates: the first INSERT wins the key.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import type winston from 'winston';
import { callerOf } from './auth';
import { canonicalJson, sha256Hex } from './canonical';
import { ConflictError, InputError, UnprocessableError } from './errors';

const TABLE = 'api_idempotency_keys';
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** How long a key and its response are kept (the draft recommends at least 24 hours). */
export const DEFAULT_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** An in-flight claim older than this belongs to a crashed instance and may be taken over. */
export const DEFAULT_IN_FLIGHT_TIMEOUT_MS = 5 * 60 * 1000;
/** Response headers worth replaying; the rest (request id, rate limit) describe the new request. */
const REPLAYED_HEADERS = ['content-type', 'location'];

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyClaim =
  | { outcome: 'acquired' }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight' };

export interface IdempotencyKeyRef {
  key: string;
  principal: string;
}

export interface IdempotentRequest extends IdempotencyKeyRef {
  method: string;
  path: string;
  requestHash: string;
}

interface IdempotencyRow {
  request_hash: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

export class IdempotencyStore {
  constructor(
    private readonly knex: Knex,
    private readonly options: { ttlMs?: number; inFlightTimeoutMs?: number } = {},
  ) {}

  private get ttlMs(): number {
    return this.options.ttlMs ?? DEFAULT_KEY_TTL_MS;
  }

  private get inFlightTimeoutMs(): number {
    return this.options.inFlightTimeoutMs ?? DEFAULT_IN_FLIGHT_TIMEOUT_MS;
  }

  private row(ref: IdempotencyKeyRef) {
    return this.knex(TABLE).where({ principal: ref.principal, idempotency_key: ref.key });
  }

  async claim(request: IdempotentRequest): Promise<IdempotencyClaim> {
    // A released or purged key can vanish between our INSERT and SELECT; then simply try again.
    for (let attempt = 0; attempt < 5; attempt++) {
      // An expired key is forgotten: after its TTL the client may use it for something new.
      await this.row(request).andWhere('expires_at', '<=', this.knex.fn.now()).delete();
      const inserted = await this.knex(TABLE)
        .insert({
          idempotency_key: request.key,
          principal: request.principal,
          method: request.method,
          path: request.path,
          request_hash: request.requestHash,
          state: 'in_flight',
          expires_at: this.knex.raw(`now() + ? * interval '1 millisecond'`, [this.ttlMs]),
        })
        .onConflict(['principal', 'idempotency_key'])
        .ignore()
        .returning('idempotency_key');
      if (inserted.length > 0) return { outcome: 'acquired' };

      const existing = (await this.row(request).first(
        'request_hash',
        'state',
        'response_status',
        'response_headers',
        'response_body',
      )) as IdempotencyRow | undefined;
      if (!existing) continue;
      if (existing.request_hash !== request.requestHash) return { outcome: 'mismatch' };
      if (existing.state === 'completed') {
        return {
          outcome: 'replay',
          response: {
            status: existing.response_status ?? 200,
            headers: existing.response_headers ?? {},
            body: existing.response_body ?? '',
          },
        };
      }
      const takenOver = await this.row(request)
        .andWhere({ state: 'in_flight' })
        .andWhere('created_at', '<', this.knex.raw(`now() - ? * interval '1 millisecond'`, [this.inFlightTimeoutMs]))
        .update({ created_at: this.knex.fn.now() })
        .returning('idempotency_key');
      return takenOver.length > 0 ? { outcome: 'acquired' } : { outcome: 'in_flight' };
    }
    return { outcome: 'in_flight' };
  }

  async complete(ref: IdempotencyKeyRef, response: StoredResponse): Promise<void> {
    await this.row(ref).update({
      state: 'completed',
      response_status: response.status,
      response_headers: JSON.stringify(response.headers),
      response_body: response.body,
      completed_at: this.knex.fn.now(),
    });
  }

  /** Forgets an unfinished or failed (5xx) request so that the client's retry runs again. */
  async release(ref: IdempotencyKeyRef): Promise<void> {
    await this.row(ref).andWhere({ state: 'in_flight' }).delete();
  }

  async purgeExpired(): Promise<number> {
    return this.knex(TABLE).where('expires_at', '<=', this.knex.fn.now()).delete();
  }
}

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
export function idempotencyKeys(store: IdempotencyStore, logger: winston.Logger): RequestHandler {
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

    // Record the outcome BEFORE the response leaves: a client that has seen the answer and
    // retries must get the replay, never a spurious "still in flight".
    let settled = false;
    const sendJson = res.json.bind(res);
    res.json = (body: unknown) => {
      if (settled) return sendJson(body);
      settled = true;
      const status = res.statusCode;
      const serialized = JSON.stringify(body);
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
      if (settled) return;
      settled = true;
      store.release(ref).catch((error: unknown) => logger.warn('releasing an idempotency key failed', { error: String(error) }));
    });
    next();
  };
}

/**
 * The records behind the API's `Idempotency-Key` header (api/idempotency.ts), in PostgreSQL
 * (`api_idempotency_keys`), scoped to the caller, so the guarantee holds across API instances and
 * under concurrent duplicates: the first INSERT wins the key.
 */
import type { Knex } from 'knex';
import type { IdempotencyClaim, IdempotencyKeyRef, IdempotencyRecordsPort, IdempotentRequest, StoredResponse } from '../ports';

const TABLE = 'api_idempotency_keys';
/** How long a key and its response are kept (the draft recommends at least 24 hours). */
export const DEFAULT_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** An in-flight claim older than this belongs to a crashed instance and may be taken over. */
export const DEFAULT_IN_FLIGHT_TIMEOUT_MS = 5 * 60 * 1000;

interface IdempotencyRow {
  request_hash: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

export class KnexIdempotencyRecords implements IdempotencyRecordsPort {
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
      // One round trip: a new key is inserted, and an expired one is taken as new (after its TTL
      // the client may use it for something else); a live key is left as it is.
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
        .merge({
          method: request.method,
          path: request.path,
          request_hash: request.requestHash,
          state: 'in_flight',
          response_status: null,
          response_headers: null,
          response_body: null,
          created_at: this.knex.fn.now(),
          completed_at: null,
          expires_at: this.knex.raw(`now() + ? * interval '1 millisecond'`, [this.ttlMs]),
        })
        .where(`${TABLE}.expires_at`, '<=', this.knex.fn.now())
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

/**
 * The records behind the API's `Idempotency-Key` header (api/idempotency.ts), in PostgreSQL
 * (`api_idempotency_keys`), scoped to the caller, so the guarantee holds across API instances and
 * under concurrent duplicates: the first INSERT wins the key.
 *
 * An in-flight claim is a lease held by one API instance (`lease_owner`) until `lease_expires_at`;
 * the instance renews it while the request runs (api/idempotency.ts) and releases or completes it
 * at the end. An instance that dies stops renewing, and the client's retry takes the claim over once
 * the lease has run out: seconds, not minutes. A request taken over this way runs again, which is
 * safe because every command is idempotent at the workflow by the same key (its Update id,
 * docs/adr/0061-idempotency-claims-are-leases.md).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { IdempotencyClaim, IdempotencyKeyRef, IdempotencyRecordsPort, IdempotentRequest, StoredResponse } from '../ports';

const TABLE = 'api_idempotency_keys';
/** How long a key and its response are kept (the draft recommends at least 24 hours). */
export const DEFAULT_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** An in-flight claim not renewed for this long belongs to a dead instance and may be taken over. */
export const DEFAULT_LEASE_MS = 10_000;

/** This process, as the owner of the claims it holds: host, pid and a random part (pids repeat across restarts). */
export function instanceId(): string {
  return `${hostname()}#${process.pid}#${randomUUID().slice(0, 8)}`;
}

interface IdempotencyRow {
  request_hash: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

export class KnexIdempotencyRecords implements IdempotencyRecordsPort {
  readonly leaseMs: number;
  /** The instance that holds the claims this store acquires. */
  readonly owner: string;

  constructor(
    private readonly knex: Knex,
    private readonly options: { ttlMs?: number; leaseMs?: number; owner?: string } = {},
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.owner = options.owner ?? instanceId();
  }

  private get ttlMs(): number {
    return this.options.ttlMs ?? DEFAULT_KEY_TTL_MS;
  }

  private leaseEnd(): Knex.Raw {
    return this.knex.raw(`now() + ? * interval '1 millisecond'`, [this.leaseMs]);
  }

  private row(ref: IdempotencyKeyRef) {
    return this.knex(TABLE).where({ principal: ref.principal, idempotency_key: ref.key });
  }

  async claim(request: IdempotentRequest): Promise<IdempotencyClaim> {
    // A released or purged key can vanish between our INSERT and SELECT; then simply try again.
    for (let attempt = 0; attempt < 5; attempt++) {
      // One round trip: a new key is inserted, and an expired one is taken as new (after its TTL
      // the client may use it for something else); a live key is left as it is.
      // What a claim holds, whether the key is new or an expired one is taken as new.
      const claim = {
        method: request.method,
        path: request.path,
        request_hash: request.requestHash,
        state: 'in_flight',
        lease_owner: this.owner,
        lease_expires_at: this.leaseEnd(),
        expires_at: this.knex.raw(`now() + ? * interval '1 millisecond'`, [this.ttlMs]),
      };
      const inserted = await this.knex(TABLE)
        .insert({ idempotency_key: request.key, principal: request.principal, ...claim })
        .onConflict(['principal', 'idempotency_key'])
        .merge({ ...claim, response_status: null, response_headers: null, response_body: null, created_at: this.knex.fn.now(), completed_at: null })
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
      // The owner stopped renewing (it died, or lost the database): the claim is this request's now.
      const takenOver = await this.row(request)
        .andWhere({ state: 'in_flight' })
        .andWhere((expired) => expired.whereNull('lease_expires_at').orWhere('lease_expires_at', '<=', this.knex.fn.now()))
        .update({ lease_owner: this.owner, lease_expires_at: this.leaseEnd() })
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

  async renew(ref: IdempotencyKeyRef): Promise<boolean> {
    const renewed = await this.row(ref)
      .andWhere({ state: 'in_flight', lease_owner: this.owner })
      .update({ lease_expires_at: this.leaseEnd() })
      .returning('idempotency_key');
    return renewed.length > 0;
  }

  /**
   * Forgets an unfinished or failed (5xx) request so that the client's retry runs again; only this
   * instance's claim (one taken over by another instance is that instance's to settle).
   */
  async release(ref: IdempotencyKeyRef): Promise<void> {
    await this.row(ref).andWhere({ state: 'in_flight', lease_owner: this.owner }).delete();
  }

  async purgeExpired(): Promise<number> {
    return this.knex(TABLE).where('expires_at', '<=', this.knex.fn.now()).delete();
  }
}

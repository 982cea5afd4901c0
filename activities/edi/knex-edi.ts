/**
 * The reference ERP's EDI tables (migration 20261204070000_edi.ts): trading partners on the
 * supplier row, per-partner control numbers, the interchange log and the applied documents.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  EdiInterchange,
  EdiInterchangeListQuery,
  EdiProfile,
  EdiReceivedAcknowledgement,
  EdiSetOutcome,
  PurchaseOrderEdi,
} from '../../workflows/domain/schemas/edi';
import { InvalidCursorError } from '../errors';
import type { EdiInboundClaim, EdiInboundResult, EdiPartner, EdiPort } from '../ports';

export interface InterchangeRow {
  id: string;
  direction: 'inbound' | 'outbound';
  supplier_id: string;
  control_number: string;
  group_control_numbers: string[];
  set_ids: string[];
  document_type: string | null;
  purpose: string | null;
  status: EdiInterchange['status'];
  raw: string;
  raw_hash: string;
  acknowledgement_raw: string | null;
  acknowledgement: EdiReceivedAcknowledgement | null;
  po_numbers: string[];
  sets: EdiSetOutcome[];
  source_event_id: string | null;
  delivery_url: string | null;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** An inbound interchange left in `processing` this long is taken over by the next send of it. */
export const STALE_PROCESSING_MS = 120_000;

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function toInterchange(row: InterchangeRow): EdiInterchange {
  return {
    id: row.id,
    direction: row.direction,
    supplierId: row.supplier_id,
    controlNumber: row.control_number,
    groupControlNumbers: row.group_control_numbers,
    setIds: row.set_ids,
    documentType: row.document_type,
    purpose: row.purpose,
    status: row.status,
    poNumbers: row.po_numbers,
    sets: row.sets,
    acknowledgementRaw: row.acknowledgement_raw,
    acknowledgement: row.acknowledgement,
    deliveryUrl: row.delivery_url,
    attempts: row.attempts,
    lastError: row.last_error,
    deliveredAt: iso(row.delivered_at),
    createdAt: row.created_at.toISOString(),
    raw: row.raw,
  };
}

interface PartnerRow {
  supplier_id: string;
  name: string;
  edi: EdiProfile;
}

const toPartner = (row: PartnerRow): EdiPartner => ({ supplierId: row.supplier_id, name: row.name, profile: row.edi });

function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
      return [value[0], value[1]];
    }
  } catch {
    // reported below
  }
  throw new InvalidCursorError();
}

export class KnexEdi implements EdiPort {
  constructor(private readonly knex: Knex) {}

  async partnerOf(supplierId: string): Promise<EdiPartner | undefined> {
    const row = await this.knex<PartnerRow>('suppliers').where({ supplier_id: supplierId }).whereNotNull('edi').first('supplier_id', 'name', 'edi');
    return row ? toPartner(row) : undefined;
  }

  async partnerByIdentity(qualifier: string, id: string): Promise<EdiPartner | undefined> {
    const { rows } = await this.knex.raw<{ rows: PartnerRow[] }>(
      `select supplier_id, name, edi from suppliers where edi is not null and edi->>'qualifier' = ? and edi->>'id' = ?`,
      [qualifier, id],
    );
    return rows[0] ? toPartner(rows[0]) : undefined;
  }

  /**
   * One statement per sequence: the row lock of the upsert orders concurrent callers, so no number
   * is handed out twice, and a number once handed out is never reused (a rolled-back caller leaves
   * a gap, which X12 allows).
   */
  async nextControlNumbers(supplierId: string, sets: number): Promise<{ interchange: number; group: number; sets: number[] }> {
    const take = async (kind: string, count: number): Promise<number> => {
      const { rows } = await this.knex.raw<{ rows: { last_value: string }[] }>(
        `insert into edi_control_numbers (supplier_id, kind, last_value) values (?, ?, ?)
         on conflict (supplier_id, kind) do update set last_value = edi_control_numbers.last_value + excluded.last_value
         returning last_value::text`,
        [supplierId, kind, count],
      );
      const last = Number(rows[0]!.last_value);
      // ISA13 has 9 digits: running out is an operator's matter, never a silent wrap-around.
      if (last > 999_999_999) throw new Error(`EDI control numbers of ${supplierId} (${kind}) are exhausted`);
      return last - count + 1;
    };
    const interchange = await take('interchange', 1);
    const group = await take('group', 1);
    const firstSet = sets > 0 ? await take('set', sets) : 0;
    return { interchange, group, sets: Array.from({ length: sets }, (_, index) => firstSet + index) };
  }

  async claimInbound(input: { supplierId: string; controlNumber: string; raw: string; rawHash: string }): Promise<EdiInboundClaim> {
    const id = randomUUID();
    const { rows } = await this.knex.raw<{ rows: { id: string }[] }>(
      `insert into edi_interchanges (id, direction, supplier_id, control_number, status, raw, raw_hash)
       values (?, 'inbound', ?, ?, 'processing', ?, ?)
       on conflict (supplier_id, direction, control_number) do nothing returning id`,
      [id, input.supplierId, input.controlNumber, input.raw, input.rawHash],
    );
    if (rows[0]) return { outcome: 'claimed', id };
    const existing = await this.knex<InterchangeRow>('edi_interchanges')
      .where({ supplier_id: input.supplierId, direction: 'inbound', control_number: input.controlNumber })
      .first();
    if (!existing) return { outcome: 'in_progress' };
    if (existing.raw_hash !== input.rawHash) return { outcome: 'control_number_reused', interchange: toInterchange(existing) };
    if (existing.status !== 'processing') return { outcome: 'processed', interchange: toInterchange(existing) };
    // A processor that died mid-way: take over (every command it sent is idempotent).
    const takenOver = await this.knex('edi_interchanges')
      .where({ id: existing.id, status: 'processing' })
      .andWhere('updated_at', '<', new Date(Date.now() - STALE_PROCESSING_MS))
      .update({ updated_at: this.knex.fn.now() });
    return takenOver === 1 ? { outcome: 'claimed', id: existing.id } : { outcome: 'in_progress' };
  }

  async completeInbound(id: string, result: EdiInboundResult): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const row = await trx<InterchangeRow>('edi_interchanges').where({ id }).first('supplier_id');
      if (!row) throw new Error(`No inbound interchange ${id}`);
      await trx('edi_interchanges')
        .where({ id })
        .update({
          status: result.status,
          group_control_numbers: result.groupControlNumbers,
          set_ids: result.setIds,
          po_numbers: [...new Set(result.poNumbers)],
          sets: JSON.stringify(result.sets),
          acknowledgement_raw: result.acknowledgementRaw,
          updated_at: trx.fn.now(),
        });
      if (result.documents.length > 0) {
        await trx('edi_documents')
          .insert(
            result.documents.map((document) => ({
              supplier_id: row.supplier_id,
              set_id: document.setId,
              document_key: document.documentKey,
              body_hash: document.bodyHash,
              interchange_id: id,
              po_number: document.poNumber,
            })),
          )
          .onConflict(['supplier_id', 'set_id', 'document_key'])
          .ignore();
      }
    });
  }

  async releaseInbound(id: string): Promise<void> {
    await this.knex('edi_interchanges').where({ id, direction: 'inbound', status: 'processing' }).delete();
  }

  async appliedDocument(supplierId: string, setId: string, documentKey: string): Promise<{ bodyHash: string; poNumber: string | null } | undefined> {
    const row = await this.knex('edi_documents')
      .where({ supplier_id: supplierId, set_id: setId, document_key: documentKey })
      .first<{ body_hash: string; po_number: string | null } | undefined>('body_hash', 'po_number');
    return row ? { bodyHash: row.body_hash, poNumber: row.po_number } : undefined;
  }

  async recordReceivedAcknowledgement(
    supplierId: string,
    functionalId: string,
    groupControlNumber: string,
    acknowledgement: EdiReceivedAcknowledgement,
  ): Promise<{ interchangeId: string; poNumbers: string[] } | undefined> {
    const { rows } = await this.knex.raw<{ rows: { id: string; po_numbers: string[] }[] }>(
      `update edi_interchanges set acknowledgement = ?::jsonb, updated_at = now()
        where supplier_id = ? and direction = 'outbound' and ? = any(group_control_numbers)
          and document_type = ? returning id, po_numbers`,
      [JSON.stringify(acknowledgement), supplierId, groupControlNumber, functionalId === 'PC' ? '860' : '850'],
    );
    return rows[0] ? { interchangeId: rows[0].id, poNumbers: rows[0].po_numbers } : undefined;
  }

  async listInterchanges(query: EdiInterchangeListQuery): Promise<{ items: EdiInterchange[]; nextCursor: string | null }> {
    const builder = this.knex<InterchangeRow>('edi_interchanges').orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
    if (query.direction) builder.where('direction', query.direction);
    if (query.supplierId) builder.where('supplier_id', query.supplierId);
    if (query.status) builder.where('status', query.status);
    if (query.poNumber) builder.whereRaw('po_numbers @> array[?]::text[]', [query.poNumber]);
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor);
      builder.whereRaw('(created_at, id) < (?::timestamptz, ?)', [createdAt, id]);
    }
    const rows = await builder.limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    return { items: page.map(toInterchange), nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null };
  }

  async getInterchange(id: string): Promise<EdiInterchange | undefined> {
    const row = await this.knex<InterchangeRow>('edi_interchanges').where({ id }).first();
    return row ? toInterchange(row) : undefined;
  }

  async purchaseOrderEdi(poNumber: string): Promise<PurchaseOrderEdi | undefined> {
    const rows = await this.knex<InterchangeRow>('edi_interchanges')
      .whereRaw('po_numbers @> array[?]::text[]', [poNumber])
      .orderBy([{ column: 'created_at', order: 'asc' }, { column: 'id', order: 'asc' }]);
    if (rows.length === 0) return undefined;
    const ours = rows.filter((row) => row.direction === 'outbound' && row.document_type !== null);
    const latest = ours[ours.length - 1];
    return {
      functionalAcknowledgement: latest
        ? {
            documentType: latest.document_type!,
            purpose: latest.purpose,
            controlNumber: latest.control_number,
            status: latest.acknowledgement?.status ?? 'pending',
            acknowledgement: latest.acknowledgement,
          }
        : null,
      interchanges: rows.map((row) => ({ id: row.id, direction: row.direction, setIds: row.set_ids, controlNumber: row.control_number, status: row.status, createdAt: row.created_at.toISOString() })),
    };
  }
}

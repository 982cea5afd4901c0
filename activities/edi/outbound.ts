/**
 * Outbound EDI as a consumer of the outbox (docs/edi.md, "Outbound"; docs/adr/0103-outbound-edi-is-an-outbox-consumer.md).
 *
 * - `generateOutboundPass` reads the outbox from its own cursor (`edi:outbound`, with a lease, like
 *   every consumer in ../events/), and for each issue, approval, change or cancellation of a PO of
 *   an EDI supplier writes the 850 or 860 into the interchange log, with fresh control numbers,
 *   in the same transaction that moves the cursor: a document is written once, never twice.
 * - `deliverOutboundPass` POSTs each interchange (application/edi-x12) to the partner's
 *   `delivery.url`, one at a time per partner in the order written, on the relay's retry
 *   schedule; a 4xx other than 408/429 gives up at once. Every interchange stays listed at
 *   GET /v1/edi/interchanges?direction=outbound for pickup, delivered or not.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { ChangeOrder } from '../../workflows/domain/schemas';
import type { PoView } from '../../workflows/domain/state';
import { silentLog, type AdapterLog } from '../errors';
import type { EdiPartner } from '../ports';
import { acquireLease, commitCursor, ensureCursor, releaseLease } from '../events/cursors';
import { currentStartPosition, readOutbox, type OutboxEvent } from '../events/outbox-reader';
import type { PassResult } from '../events/subscription-pass';
import { delayBeforeAttempt } from '../events/retry-schedule';
import { isPermanentRejection } from '../supplier-portal/webhook';
import { changeOrder860, purchaseOrder850, type OrderForEdi, type OrderPurpose } from './documents';
import { KnexEdi } from './knex-edi';
import { EDI_CONTENT_TYPE } from './x12/syntax';
import { setControlNumber, writeInterchange, type Party } from './x12/writer';

export const EDI_OUTBOUND_CONSUMER = 'edi:outbound';

export interface EdiOutboundOptions {
  /** Our identity (EDI_SENDER_*). */
  sender: Party;
  owner: string;
  leaseMs: number;
  batchSize: number;
  schedule: readonly number[];
  timeoutMs: number;
  log?: AdapterLog;
  random?: () => number;
}

type Document = { type: '850'; purpose: OrderPurpose; order: OrderForEdi } | { type: '860'; purpose: 'change'; order: OrderForEdi; change: ChangeOrder };

interface PoRow {
  po_number: string;
  supplier_id: string;
  snapshot: PoView | null;
}

const orderOf = (po: PoView): OrderForEdi => ({ poNumber: po.poNumber, supplierId: po.supplierId, currency: po.currency, buyer: po.buyer, createdAt: po.createdAt, lines: po.lines });

/** What an outbox event means for an EDI partner, if anything. */
async function documentFor(trx: Knex.Transaction, event: OutboxEvent, po: PoView): Promise<Document | undefined> {
  const payload = event.payload as { po?: OrderForEdi & { lines: OrderForEdi['lines'] }; approval?: { status?: string }; subject?: string; changeOrder?: ChangeOrder };
  switch (event.type) {
    case 'po.issued':
      if (payload.approval?.status === 'pending') return undefined; // sent once approved
      return { type: '850', purpose: 'original', order: payload.po ? { ...payload.po, createdAt: event.occurredAt.toISOString() } : orderOf(po) };
    case 'po.approved':
      if (payload.changeOrder) return { type: '860', purpose: 'change', order: orderOf(po), change: payload.changeOrder };
      return payload.subject === 'issue' ? { type: '850', purpose: 'original', order: orderOf(po) } : undefined;
    case 'po.changed':
      return payload.changeOrder ? { type: '860', purpose: 'change', order: orderOf(po), change: payload.changeOrder } : undefined;
    case 'po.cancelled': {
      // A PO the supplier never received (refused by its approvers) is not cancelled towards it.
      const sent = await trx('edi_interchanges').where({ direction: 'outbound', document_type: '850', purpose: 'original' }).whereRaw('po_numbers @> array[?]::text[]', [event.poNumber]).first('id');
      return sent ? { type: '850', purpose: 'cancellation', order: orderOf(po) } : undefined;
    }
    default:
      return undefined;
  }
}

/** Writes the interchange of one document in `trx`; the outbox event id makes a second write a no-op. */
async function writeOutbound(trx: Knex.Transaction, event: OutboxEvent, partner: EdiPartner, document: Document, options: EdiOutboundOptions): Promise<void> {
  const numbers = await new KnexEdi(trx).nextControlNumbers(partner.supplierId, 1);
  const segments = document.type === '850' ? purchaseOrder850(document.order, document.purpose, partner.name, options.sender.id) : changeOrder860(document.order, document.change, event.occurredAt);
  const setControl = setControlNumber(numbers.sets[0]!);
  const raw = writeInterchange({
    sender: options.sender,
    receiver: { qualifier: partner.profile.qualifier, id: partner.profile.id, ...(partner.profile.gsId ? { gsId: partner.profile.gsId } : {}) },
    functionalId: document.type === '850' ? 'PO' : 'PC',
    interchangeControlNumber: numbers.interchange,
    groupControlNumber: numbers.group,
    at: event.occurredAt,
    sets: [{ id: document.type, controlNumber: setControl, segments }],
  });
  const url = partner.profile.delivery?.url ?? null;
  await trx('edi_interchanges')
    .insert({
      id: randomUUID(),
      direction: 'outbound',
      supplier_id: partner.supplierId,
      control_number: String(numbers.interchange).padStart(9, '0'),
      group_control_numbers: [String(numbers.group)],
      set_ids: [document.type],
      document_type: document.type,
      purpose: document.purpose,
      status: 'pending',
      raw,
      raw_hash: createHash('sha256').update(raw).digest('hex'),
      po_numbers: [event.poNumber],
      sets: JSON.stringify([{ setId: document.type, controlNumber: setControl, status: 'accepted', documentKey: event.poNumber, poNumber: event.poNumber, codes: [], segmentErrors: [] }]),
      source_event_id: event.id,
      delivery_url: url,
      next_attempt_at: url ? trx.fn.now() : null,
    })
    .onConflict('source_event_id')
    .ignore();
}

const RELEVANT = new Set(['po.issued', 'po.approved', 'po.changed', 'po.cancelled']);

/** One batch of the outbox: the documents it calls for, written with the cursor's move. */
export async function generateOutboundPass(knex: Knex, options: EdiOutboundOptions): Promise<PassResult> {
  let cursor = await acquireLease(knex, EDI_OUTBOUND_CONSUMER, options.owner, options.leaseMs);
  if (!cursor) {
    // No cursor yet (the first pass on this database), or another relay holds the lease: only then
    // is the cursor created, so a relay holding the lease makes one statement a pass, not three.
    await ensureCursor(knex, EDI_OUTBOUND_CONSUMER, await currentStartPosition(knex));
    cursor = await acquireLease(knex, EDI_OUTBOUND_CONSUMER, options.owner, options.leaseMs);
    if (!cursor) return { delivered: 0, failed: 0, more: false };
  }
  const events = await readOutbox(knex, { tx: cursor.position_tx, seq: cursor.position_seq }, options.batchSize);
  if (events.length === 0) {
    await releaseLease(knex, EDI_OUTBOUND_CONSUMER, options.owner);
    return { delivered: 0, failed: 0, more: false };
  }
  let written = 0;
  await knex.transaction(async (trx) => {
    for (const event of events.filter((candidate) => RELEVANT.has(candidate.type))) {
      const row = await trx<PoRow>('purchase_orders').where({ po_number: event.poNumber }).first('supplier_id', 'snapshot');
      if (!row?.snapshot) continue;
      const partner = await new KnexEdi(trx).partnerOf(row.supplier_id);
      if (!partner) continue;
      const document = await documentFor(trx, event, row.snapshot);
      if (!document) continue;
      await writeOutbound(trx, event, partner, document, options);
      written += 1;
    }
    await commitCursor(trx, EDI_OUTBOUND_CONSUMER, options.owner, { position: events[events.length - 1]!.position });
  });
  if (written > 0) (options.log ?? silentLog).info('EDI documents written', { count: written });
  return { delivered: written, failed: 0, more: events.length === options.batchSize };
}

interface DueInterchange {
  id: string;
  supplier_id: string;
  raw: string;
  delivery_url: string;
  attempts: number;
}

/** Claims the oldest due interchange of each partner (a lease: next_attempt_at moves past the lease). */
async function claimDue(knex: Knex, options: EdiOutboundOptions): Promise<DueInterchange[]> {
  const { rows } = await knex.raw<{ rows: DueInterchange[] }>(
    `update edi_interchanges set next_attempt_at = now() + (? * interval '1 millisecond')
      where id in (
        select i.id from edi_interchanges i
         where i.direction = 'outbound' and i.status = 'pending' and i.next_attempt_at <= now()
           and not exists (select 1 from edi_interchanges earlier
                            where earlier.supplier_id = i.supplier_id and earlier.direction = 'outbound' and earlier.status = 'pending'
                              and earlier.next_attempt_at is not null and (earlier.created_at, earlier.id) < (i.created_at, i.id))
         order by i.created_at limit 20 for update skip locked)
      returning id, supplier_id, raw, delivery_url, attempts`,
    [options.leaseMs],
  );
  return rows;
}

async function attempt(item: DueInterchange, options: EdiOutboundOptions): Promise<{ delivered: boolean; status: number | null; error: string | null }> {
  try {
    const response = await fetch(item.delivery_url, {
      method: 'POST',
      headers: { 'content-type': EDI_CONTENT_TYPE, 'user-agent': 'p2p-orchestrator', 'edi-interchange-id': item.id },
      body: item.raw,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = (await response.text().catch(() => '')).slice(0, 300);
    if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status, error: null };
    return { delivered: false, status: response.status, error: `${item.delivery_url} answered ${response.status}${text ? `: ${text}` : ''}` };
  } catch (error) {
    return { delivered: false, status: null, error: `${item.delivery_url} failed: ${(error as Error).message}` };
  }
}

/** Sends what is due; returns how many were delivered. */
export async function deliverOutboundPass(knex: Knex, options: EdiOutboundOptions): Promise<PassResult> {
  const due = await claimDue(knex, options);
  let delivered = 0;
  let failed = 0;
  await Promise.all(
    due.map(async (item) => {
      const outcome = await attempt(item, options);
      const attempts = item.attempts + 1;
      if (outcome.delivered) {
        delivered += 1;
        await knex('edi_interchanges').where({ id: item.id }).update({ status: 'delivered', attempts, delivered_at: knex.fn.now(), next_attempt_at: null, last_error: null, updated_at: knex.fn.now() });
        return;
      }
      failed += 1;
      const delay = outcome.status !== null && isPermanentRejection(outcome.status) ? undefined : delayBeforeAttempt(options.schedule, attempts + 1, options.random);
      (options.log ?? silentLog).warn('EDI delivery failed', { interchangeId: item.id, supplierId: item.supplier_id, error: outcome.error });
      await knex('edi_interchanges')
        .where({ id: item.id })
        .update({
          attempts,
          last_error: outcome.error?.slice(0, 1000) ?? null,
          ...(delay === undefined ? { status: 'failed', next_attempt_at: null } : { next_attempt_at: new Date(Date.now() + delay) }),
          updated_at: knex.fn.now(),
        });
    }),
  );
  return { delivered, failed, more: false };
}

/**
 * The reference ERP's write side: this project's own PostgreSQL schema reached through knex
 * (docs/architecture.md, "Adapters"). What the activities record goes through here.
 *
 * Every business event is written in ONE transaction — its idempotency key, the PO's tables, the
 * document it is about, the journal, inventory, the outbox row and the supplier notifications — so
 * a retried activity either finds its key and changes nothing, or writes everything.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import { apply, initialState } from '../../workflows/domain/lifecycle/apply';
import { view } from '../../workflows/domain/lifecycle/views';
import { assertBalanced } from '../../workflows/domain/ledger';
import { dec } from '../../workflows/domain/money';
import { PoEvent as PoEventSchema } from '../../workflows/domain/schemas';
import type { PoEvent, PoPolicy, PoState, PoView } from '../../workflows/domain/state';
import type { BusinessEventBase, EventRecord } from '../../workflows/purchase-order/activity-contract';
import { InvalidCommandError, SnapshotOutOfStepError, silentLog, UnbalancedJournalError, type AdapterLog } from '../errors';
import type { BusinessEventRecord, ErpPort, SupplierRecord } from '../ports';
import { supplierNotificationsInsert } from '../events/supplier-notifications';
import { inOneRoundTrip, withClause, type Write } from './round-trips';
import { writePurchaseOrderTables } from './po-tables';
import { json, toSupplierRecord, type SupplierRow } from './rows';

export class KnexErp implements ErpPort {
  constructor(
    private readonly knex: Knex,
    private readonly log: AdapterLog = silentLog,
  ) {}

  async getSupplier(supplierId: string): Promise<SupplierRecord | undefined> {
    const row = await this.knex<SupplierRow>('suppliers').where({ supplier_id: supplierId }).first();
    return row ? toSupplierRecord(row) : undefined;
  }

  async issuedPolicy(poNumber: string): Promise<PoPolicy | undefined> {
    const row = await this.knex('purchase_orders').where({ po_number: poNumber }).first<{ policy: PoPolicy | null } | undefined>(this.knex.raw(`snapshot -> 'policy' as policy`));
    return row?.policy ?? undefined;
  }

  /** A business event that carries the PO after it (POs started before the compact form). */
  async recordBusinessEvent(record: BusinessEventRecord): Promise<{ applied: boolean }> {
    return this.record(record, async (trx) => ({ record, writes: await writePurchaseOrderTables(trx, record, this.log) }));
  }

  /**
   * A business event from the PO's own events: folded onto the snapshot the ERP holds (locked for
   * the transaction), checked to be in step with the workflow, written where it changed anything,
   * with the supplier notifications queued in the same transaction.
   */
  async recordEvent(record: EventRecord): Promise<{ applied: boolean }> {
    for (const event of record.events) assertWellFormed(event, record.poNumber);
    return this.record(
      record,
      async (trx, locked) => {
        const previous = locked?.snapshot ?? undefined;
        const next = view(foldOnto(previous, record.events));
        if (next.timeline.length !== record.sequence) {
          throw new SnapshotOutOfStepError(record.poNumber, record.sequence, next.timeline.length);
        }
        const full: BusinessEventRecord = { ...record, po: next };
        const writes = await writePurchaseOrderTables(trx, full, this.log, previous);
        if (record.notifications.length > 0) writes.push(supplierNotificationsInsert(trx, record.notifications));
        return { record: full, writes };
      },
      { lockSnapshot: true },
    );
  }

  /**
   * The one transaction of every business event: claim its key (a concurrent retry of the same
   * event blocks here until this transaction ends, then finds the key and writes nothing), write the
   * PO's tables, the journal, inventory and the outbox rows.
   *
   * With `lockSnapshot`, the claim also locks the PO's row and reads its snapshot, in the same
   * statement. The writes `writeTables` hands back, the journal, inventory and the outbox rows then
   * go in ONE statement: a happy event is four round trips (BEGIN, claim, writes, COMMIT).
   */
  private async record(
    event: BusinessEventBase,
    writeTables: (trx: Knex.Transaction, locked?: { snapshot: PoView | null }) => Promise<{ record: BusinessEventRecord; writes: Write[] }>,
    options: { lockSnapshot?: boolean } = {},
  ): Promise<{ applied: boolean }> {
    if (event.journal) {
      try {
        assertBalanced(event.journal);
      } catch (error) {
        throw new UnbalancedJournalError(`${event.type} for PO ${event.poNumber}: ${(error as Error).message}`);
      }
    }

    const applied = await this.knex.transaction(async (trx) => {
      const claim = trx('business_event_keys')
        .insert({
          idempotency_key: event.idempotencyKey,
          event_id: event.eventId,
          po_number: event.poNumber,
          event_type: event.type,
          occurred_at: event.at,
        })
        .onConflict('idempotency_key')
        .ignore()
        .returning('idempotency_key');
      let locked: { snapshot: PoView | null } | undefined;
      if (options.lockSnapshot) {
        const compiled = claim.toSQL();
        const { rows } = await trx.raw<{ rows: { claimed: number; snapshot: PoView | null }[] }>(
          `with claimed as (${compiled.sql})
           select (select count(*) from claimed)::int as claimed,
                  (select snapshot from purchase_orders where po_number = ? for update) as snapshot`,
          [...(compiled.bindings as Knex.RawBinding[]), event.poNumber],
        );
        if (rows[0]!.claimed === 0) return false;
        locked = { snapshot: rows[0]!.snapshot };
      } else if ((await claim).length === 0) {
        return false;
      }

      const { record, writes } = await writeTables(trx, locked);
      if (record.journal && record.journal.lines.length > 0) writes.push(journalWrite(trx, record));
      if (record.inventory && record.inventory.length > 0) writes.push(...inventoryWrites(trx, record));
      // One INSERT for the event and its inventory companion, so their sequence keeps that order.
      const outboxRows = [
        { id: record.eventId, type: record.type, po_number: record.poNumber, occurred_at: record.at, payload: json({ version: 1, ...record.payload }) },
      ];
      if (record.inventory && record.inventory.length > 0) {
        // Inventory subscribers (WMS, planning) get their own event, from the same transaction.
        outboxRows.push({
          id: `${record.eventId}/inventory`,
          type: 'inventory.adjusted',
          po_number: record.poNumber,
          occurred_at: record.at,
          payload: json({ version: 1, poNumber: record.poNumber, cause: record.type, movements: record.inventory }),
        });
      }
      writes.push(trx('outbox').insert(outboxRows));
      await inOneRoundTrip(trx, writes);
      return true;
    });

    this.log.debug(applied ? 'Business event recorded' : 'Business event already recorded', {
      poNumber: event.poNumber,
      eventType: event.type,
      idempotencyKey: event.idempotencyKey,
    });
    return { applied };
  }
}

/** The WITH clause that inserts an event's journal entry; its lines read the entry's id from it. */
const JOURNAL_ENTRY = 'journal_entry';

/** The journal entry and its lines: one write, the lines reading the entry's id from its clause. */
function journalWrite(trx: Knex.Transaction, record: BusinessEventRecord): Write {
  const journal = record.journal!;
  const entry = trx('journal_entries')
    .insert({
      idempotency_key: record.idempotencyKey,
      event_id: record.eventId,
      event_type: record.type,
      po_number: record.poNumber,
      description: journal.description,
      currency: journal.currency,
      posted_at: record.at,
    })
    .returning('id');
  const lines = trx('journal_lines').insert(
    journal.lines.map((line, index) => ({
      journal_entry_id: trx.raw(`(select id from ${JOURNAL_ENTRY})`),
      line_no: index + 1,
      account: line.account,
      debit: line.debit,
      credit: line.credit,
      memo: line.memo ?? null,
      // Report dimensions (docs/accounting.md, "Reports").
      po_line_no: line.lineNo ?? null,
      invoice_number: line.invoiceNumber ?? null,
    })),
  );
  return withClause(JOURNAL_ENTRY, entry, lines);
}

function inventoryWrites(trx: Knex.Transaction, record: BusinessEventRecord): Write[] {
  const movements = record.inventory!.filter((movement) => !dec(movement.quantity).isZero());
  if (movements.length === 0) return [];
  const moved = trx('inventory_movements').insert(
    movements.map((movement) => ({
      event_id: record.eventId,
      po_number: record.poNumber,
      line_no: movement.lineNo,
      sku: movement.sku,
      location: movement.location,
      quantity: movement.quantity,
      occurred_at: record.at,
    })),
  );
  // One row per sku and location: PostgreSQL refuses to upsert the same row twice in one statement.
  const onHand = new Map<string, { sku: string; location: string; quantity: ReturnType<typeof dec> }>();
  for (const movement of movements) {
    const key = JSON.stringify([movement.sku, movement.location]);
    const current = onHand.get(key);
    onHand.set(key, {
      sku: movement.sku,
      location: movement.location,
      quantity: (current?.quantity ?? dec(0)).plus(dec(movement.quantity)),
    });
  }
  // Sorted, so two receipts touching the same items lock their on-hand rows in the same order.
  const sortedKeys = [...onHand.keys()].sort();
  const counted = trx('inventory_on_hand')
    .insert(
      sortedKeys.map((key) => onHand.get(key)!).map(({ sku, location, quantity }) => ({
        sku,
        location,
        quantity: quantity.toFixed(),
        updated_at: record.at,
      })),
    )
    .onConflict(['sku', 'location'])
    .merge({
      quantity: trx.raw('inventory_on_hand.quantity + excluded.quantity'),
      updated_at: trx.raw('excluded.updated_at'),
    });
  return [moved, counted];
}

/** The PO's state after `events`, from the state the ERP holds (none before the PO is issued). */
function foldOnto(previous: PoState | undefined, events: PoEvent[]): PoState {
  let state = previous;
  for (const event of events) {
    if (event.type === 'po.issued') state = initialState(event);
    else if (state) state = apply(state, event);
    else throw new Error(`${event.type} before po.issued: the ERP has no state to fold it onto`);
  }
  if (!state) throw new Error('A business event without events and without a PO to refresh');
  return state;
}

/**
 * An event as the shared schemas describe it, already in the form the API's parse gives (defaults
 * filled in, quantities as decimal strings): the workflow no longer checks a command's shape itself
 * (docs/adr/0081-zod-stays-out-of-the-workflow.md), so a malformed command sent around the API is
 * refused here, before anything is written.
 */
function assertWellFormed(event: PoEvent, poNumber: string): void {
  const parsed = PoEventSchema.safeParse(event);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`).join('; ');
    throw new InvalidCommandError(`Invalid command for PO ${poNumber}: ${detail}`);
  }
  if (!isDeepStrictEqual(parsed.data, event)) {
    throw new InvalidCommandError(`Invalid command for PO ${poNumber}: the ${event.type} event is not in the form the shared schemas give (send it through the API, or with every default filled in)`);
  }
}

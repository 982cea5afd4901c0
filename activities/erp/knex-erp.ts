/**
 * The reference ERP's write side: this project's own PostgreSQL schema reached through knex
 * (docs/architecture.md, "Adapters"). What the activities record goes through here.
 *
 * Every business event is written by `recordBusinessEvent` in ONE transaction — its idempotency
 * key, the PO's tables, the document it is about, the journal, inventory and the outbox row — so a
 * retried activity either finds its key and changes nothing, or writes everything.
 */
import type { Knex } from 'knex';
import { assertBalanced } from '../../workflows/domain/ledger';
import { dec } from '../../workflows/domain/money';
import { silentLog, UnbalancedJournalError, type AdapterLog } from '../errors';
import type { BusinessEventRecord, ErpPort, SupplierRecord } from '../ports';
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

  async recordBusinessEvent(record: BusinessEventRecord): Promise<{ applied: boolean }> {
    if (record.journal) {
      try {
        assertBalanced(record.journal);
      } catch (error) {
        throw new UnbalancedJournalError(`${record.type} for PO ${record.poNumber}: ${(error as Error).message}`);
      }
    }

    const applied = await this.knex.transaction(async (trx) => {
      // Claiming the key first: a concurrent retry of the same event blocks here until this
      // transaction ends, then finds the key and writes nothing.
      const claimed = await trx('business_event_keys')
        .insert({
          idempotency_key: record.idempotencyKey,
          event_id: record.eventId,
          po_number: record.poNumber,
          event_type: record.type,
          occurred_at: record.at,
        })
        .onConflict('idempotency_key')
        .ignore()
        .returning('idempotency_key');
      if (claimed.length === 0) return false;

      await writePurchaseOrderTables(trx, record, this.log);
      if (record.journal && record.journal.lines.length > 0) await this.postJournal(trx, record);
      if (record.inventory && record.inventory.length > 0) await this.moveInventory(trx, record);
      await trx('outbox').insert({
        id: record.eventId,
        type: record.type,
        po_number: record.poNumber,
        occurred_at: record.at,
        payload: json({ version: 1, ...record.payload }),
      });
      if (record.inventory && record.inventory.length > 0) {
        // Inventory subscribers (WMS, planning) get their own event, from the same transaction.
        await trx('outbox').insert({
          id: `${record.eventId}/inventory`,
          type: 'inventory.adjusted',
          po_number: record.poNumber,
          occurred_at: record.at,
          payload: json({ version: 1, poNumber: record.poNumber, cause: record.type, movements: record.inventory }),
        });
      }
      return true;
    });

    this.log.debug(applied ? 'Business event recorded' : 'Business event already recorded', {
      poNumber: record.poNumber,
      eventType: record.type,
      idempotencyKey: record.idempotencyKey,
    });
    return { applied };
  }

  private async postJournal(trx: Knex.Transaction, record: BusinessEventRecord): Promise<void> {
    const journal = record.journal!;
    const [entry] = await trx('journal_entries')
      .insert({
        idempotency_key: record.idempotencyKey,
        event_id: record.eventId,
        event_type: record.type,
        po_number: record.poNumber,
        description: journal.description,
        currency: journal.currency,
        posted_at: record.at,
      })
      .returning<{ id: string }[]>('id');
    await trx('journal_lines').insert(
      journal.lines.map((line, index) => ({
        journal_entry_id: entry!.id,
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
  }

  private async moveInventory(trx: Knex.Transaction, record: BusinessEventRecord): Promise<void> {
    const movements = record.inventory!.filter((movement) => !dec(movement.quantity).isZero());
    if (movements.length === 0) return;
    await trx('inventory_movements').insert(
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
    await trx('inventory_on_hand')
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
  }
}

/**
 * The reference ERP on real PostgreSQL: recording a 200-line goods receipt (receipt document,
 * PO read model, invoice refresh, Inventory/GRNI journal, inventory movements and on-hand, outbox,
 * in ONE transaction) against a `select 1` round trip on the same pool.
 */
import { randomUUID } from 'node:crypto';
import winston from 'winston';
import { KnexErp } from '../activities/erp/knex-erp';
import { KnexReadModel } from '../activities/erp/knex-read-model';
import type { BusinessEventRecord } from '../activities/ports';
import { receiptJournal } from '../workflows/domain/ledger';
import { view } from '../workflows/domain/lifecycle/views';
import type { EventType } from '../workflows/domain/schemas/event-catalog';
import type { PoEvent, PoState } from '../workflows/domain/state';
import { createTestDatabase } from '../test/helpers/database';
import { largePurchaseOrder, LINE_COUNT, nextReceipt, type ReceiptRecordParts } from './fixtures';
import { measurePair, result, type BenchResult } from './measure';

const WARMUP = 3;
const ITERATIONS = 30;
const SUPPLIER_ID = 'BENCH';

export function businessEvent(
  state: PoState,
  event: { type: string; at: string; actor: BusinessEventRecord['actor']; documentKey: string },
  extra: Pick<BusinessEventRecord, 'document' | 'journal' | 'inventory'> & { payload?: Record<string, unknown> } = {},
): BusinessEventRecord {
  const po = view(state);
  const workflowId = `purchase-order:${po.poNumber}`;
  return {
    idempotencyKey: `${workflowId}/${event.type}/${event.documentKey}/${po.timeline.length}`,
    eventId: randomUUID(),
    workflowId,
    poNumber: po.poNumber,
    supplierId: po.supplierId,
    // The bench records its fixture events under their own names; the ERP does not read the outbox type.
    type: event.type as EventType,
    at: event.at,
    actor: event.actor,
    payload: { version: 1, poNumber: po.poNumber, status: po.status, ...extra.payload },
    po,
    ...(extra.document ? { document: extra.document } : {}),
    ...(extra.journal ? { journal: extra.journal } : {}),
    ...(extra.inventory ? { inventory: extra.inventory } : {}),
  };
}

/** The records the workflow would have written for the fixture's history, in order. */
export function setupRecords(history: { event: PoEvent; state: PoState }[]): BusinessEventRecord[] {
  return history.map(({ event, state }, index) => {
    const before = history[index - 1]?.state;
    switch (event.type) {
      case 'goods.received': {
        const inventory = event.receipt.lines.map((line) => ({
          sku: state.lines.find((poLine) => poLine.lineNo === line.lineNo)!.sku,
          location: event.receipt.location,
          quantity: line.quantityReceived,
          lineNo: line.lineNo,
        }));
        return businessEvent(state, { ...event, documentKey: event.receipt.receiptNumber }, {
          document: { kind: 'receipt', receiptNumber: event.receipt.receiptNumber },
          journal: receiptJournal(before!, event.receipt) ?? undefined,
          inventory,
        });
      }
      case 'invoice.received':
        return businessEvent(state, { ...event, type: 'invoice.matched', documentKey: event.invoice.invoiceNumber }, {
          document: { kind: 'invoice', invoiceNumber: event.invoice.invoiceNumber },
        });
      default:
        return businessEvent(state, { ...event, documentKey: event.type });
    }
  });
}

function receiptRecord(state: PoState, parts: ReceiptRecordParts): BusinessEventRecord {
  return businessEvent(
    state,
    { type: 'goods.received', at: parts.at, actor: { role: 'warehouse', id: 'warehouse#bench' }, documentKey: parts.receiptNumber },
    {
      document: { kind: 'receipt', receiptNumber: parts.receiptNumber },
      ...(parts.journal ? { journal: parts.journal } : {}),
      inventory: parts.inventory,
      payload: { receipt: parts.receipt, inventory: parts.inventory },
    },
  );
}

export async function erpBenchmarks(): Promise<BenchResult[]> {
  const fixture = largePurchaseOrder('PO-BENCH-ERP', SUPPLIER_ID);
  // Built before the clock starts: every measured call gets a new receipt of 1 per line.
  const receipts: BusinessEventRecord[] = [];
  let state = fixture.state;
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const next = nextReceipt(state, `GR-B${i + 1}`, 1, fixture.clock.next());
    state = next.state;
    receipts.push(receiptRecord(state, next.parts));
  }

  const database = await createTestDatabase();
  try {
    const erp = new KnexErp(database.knex, winston.createLogger({ silent: true }));
    await new KnexReadModel(database.knex).upsertSupplier(SUPPLIER_ID, { name: 'Bench Fasteners Ltd', currency: 'USD' });
    for (const record of setupRecords(fixture.history)) await erp.recordBusinessEvent(record);

    const measured = await measurePair({
      warmup: WARMUP,
      iterations: ITERATIONS,
      subject: async (i) => {
        const { applied } = await erp.recordBusinessEvent(receipts[i]!);
        if (!applied) throw new Error(`Receipt ${i + 1} was not applied: the benchmark would time the idempotent no-op`);
      },
      baseline: () => database.knex.raw('select 1'),
    });

    const journalLines = receipts[0]!.journal?.lines.length ?? 0;
    return [
      result('erp', `recordBusinessEvent: ${LINE_COUNT}-line goods receipt`, measured, 'select 1 (same pool)', 300, [
        `one transaction: receipt + ${LINE_COUNT} lines, ${LINE_COUNT} PO line upserts, 2 invoices refreshed, ${journalLines} journal lines, ${LINE_COUNT} inventory movements, outbox row`,
      ]),
    ];
  } finally {
    await database.drop();
  }
}

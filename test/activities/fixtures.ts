/**
 * Small builders for the adapter tests: a purchase order as the workflow would hand it to the ERP
 * (a PoView after some event), the documents a supplier or warehouse sends, and the business event
 * records that carry them. Plain data, built the way the domain would, without running a workflow.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import winston from 'winston';
import type { BusinessEventRecord } from '../../activities/ports';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../activities';
import { AdapterRefusal } from '../../activities/errors';
import type { ReadModelPort } from '../../activities/ports';
import { cmp, formatQuantity, lineAmount, sum } from '../../workflows/domain/money';
import { initialState } from '../../workflows/domain/lifecycle/apply';
import { view } from '../../workflows/domain/lifecycle/views';
import { DEFAULT_TOLERANCES } from '../../workflows/domain/policy';
import type { Actor, InvoiceState, JournalEntry, MatchResult, PoView } from '../../workflows/domain/state';

export const quietLogger = winston.createLogger({ silent: true });

export const buyer: Actor = { role: 'procurement', id: 'procurement#test' };
export const warehouse: Actor = { role: 'warehouse', id: 'warehouse#test' };
export const supplierActor = (supplierId: string): Actor => ({ role: 'supplier', id: `supplier:${supplierId}`, supplierId });

let clock = Date.parse('2026-11-02T09:00:00.000Z');
/** Strictly increasing instants, so the read model's "newer wins" rule sees events in order. */
export function nextInstant(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export async function createSupplier(readModel: Pick<ReadModelPort, 'upsertSupplier'>, supplierId: string, extra: { webhookUrl?: string; webhookSecret?: string } = {}) {
  return readModel.upsertSupplier(supplierId, { name: `${supplierId} Industrial Supply`, currency: 'USD', ...extra });
}

export interface LineSpec {
  lineNo: number;
  sku: string;
  quantity: string;
  unitPrice: string;
  kind?: 'goods' | 'service';
}

/** A PO just issued: nothing confirmed, shipped, received or invoiced yet (the domain's own initial state). */
export function issuedPurchaseOrder(spec: { poNumber: string; supplierId: string; lines?: LineSpec[]; createdAt?: string; buyer?: string }): PoView {
  const lines = (spec.lines ?? [{ lineNo: 1, sku: 'BOLT-M8', quantity: '100', unitPrice: '10.00' }]).map((line) => ({ ...line, kind: line.kind ?? 'goods', uom: 'EA' }));
  const state = initialState({
    type: 'po.issued',
    at: spec.createdAt ?? nextInstant(),
    actor: buyer,
    po: { poNumber: spec.poNumber, supplierId: spec.supplierId, currency: 'USD', ...(spec.buyer === undefined ? {} : { buyer: spec.buyer }), lines },
    requestHash: `hash-${spec.poNumber}`,
    policy: {
      paymentTerms: { netDays: 30 },
      tolerances: { ...DEFAULT_TOLERANCES },
      slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' },
      captureDiscounts: true,
    },
  });
  return view(state);
}

/** The PO after a goods receipt of the given accepted quantities at MAIN. */
export function withReceipt(po: PoView, receiptNumber: string, received: Record<number, string>, at = nextInstant()): PoView {
  const lines = po.lines.map((line) =>
    received[line.lineNo] === undefined
      ? line
      : { ...line, receivedQuantity: formatQuantity(sum([line.receivedQuantity, received[line.lineNo]!])) },
  );
  const fullyReceived = lines.every((line) => cmp(line.receivedQuantity, line.quantity) >= 0);
  return {
    ...po,
    lines,
    receipts: [
      ...po.receipts,
      {
        receiptNumber,
        location: 'MAIN',
        lines: Object.entries(received).map(([lineNo, quantity]) => ({ lineNo: Number(lineNo), quantityReceived: quantity, quantityRejected: '0' })),
        bodyHash: `hash-${receiptNumber}`,
        receivedAt: at,
        by: warehouse,
      },
    ],
    status: fullyReceived ? 'received' : 'partially_received',
    timeline: [...po.timeline, { at, type: 'goods.received', actor: warehouse.id }],
  };
}

export function matched(at: string): MatchResult {
  return { status: 'matched', reasons: [], lines: [{ lineNo: 1, status: 'matched', reasons: [] }], matchedAt: at };
}

/** An invoice at 3 % over the PO price on line 1: held with PRICE_VARIANCE. */
export function priceVariance(at: string): MatchResult {
  return {
    status: 'exception',
    reasons: [],
    lines: [
      {
        lineNo: 1,
        status: 'exception',
        reasons: [{ code: 'PRICE_VARIANCE', message: 'Unit price 10.30 differs from agreed 10.00', expected: '10.00', actual: '10.30', tolerance: '0.20' }],
      },
    ],
    matchedAt: at,
  };
}

export function withInvoice(
  po: PoView,
  invoice: { invoiceNumber: string; quantity: string; unitPrice: string; bodyHash?: string; match?: MatchResult; at?: string },
): PoView {
  const at = invoice.at ?? nextInstant();
  const match = invoice.match ?? matched(at);
  const total = lineAmount(invoice.quantity, invoice.unitPrice);
  const state: InvoiceState = {
    invoiceNumber: invoice.invoiceNumber,
    invoiceDate: '2026-11-05',
    currency: po.currency,
    lines: [{ lineNo: 1, quantity: invoice.quantity, unitPrice: invoice.unitPrice }],
    freight: '0',
    tax: '0',
    total,
    bodyHash: invoice.bodyHash ?? `hash-${invoice.invoiceNumber}-${total}`,
    submittedAt: at,
    submittedBy: supplierActor(po.supplierId),
    status: match.status === 'exception' ? 'exception' : match.status === 'pending_receipt' ? 'pending_receipt' : 'approved',
    match,
    creditedTotal: '0',
    payment: null,
  };
  return {
    ...po,
    invoices: [...po.invoices, state],
    hasOpenException: po.hasOpenException || match.status === 'exception',
    timeline: [...po.timeline, { at, type: 'invoice.received', actor: state.submittedBy.id }],
  };
}

/** Goods receipt posting: Inventory debit, GRNI credit. */
export function receiptJournal(amount: string): JournalEntry {
  return {
    description: 'Goods receipt',
    currency: 'USD',
    lines: [
      { account: 'INVENTORY', debit: amount, credit: '0.00' },
      { account: 'GRNI', debit: '0.00', credit: amount },
    ],
  };
}

/** The record the workflow would hand to the ERP for an event; the key is unique unless given. */
export function businessEvent(
  po: PoView,
  event: Partial<Omit<BusinessEventRecord, 'po'>> & { type: string },
): BusinessEventRecord {
  const at = event.at ?? po.timeline[po.timeline.length - 1]?.at ?? nextInstant();
  return {
    idempotencyKey: event.idempotencyKey ?? `purchase-order:${po.poNumber}/${event.type}/${randomUUID()}`,
    eventId: event.eventId ?? randomUUID(),
    workflowId: `purchase-order:${po.poNumber}`,
    poNumber: po.poNumber,
    supplierId: po.supplierId,
    type: event.type,
    at,
    actor: event.actor ?? buyer,
    payload: event.payload ?? { version: 1, poNumber: po.poNumber, status: po.status },
    po,
    ...(event.document === undefined ? {} : { document: event.document }),
    ...(event.journal === undefined ? {} : { journal: event.journal }),
    ...(event.inventory === undefined ? {} : { inventory: event.inventory }),
  };
}

/** Row counts of the tables one business event writes to: to prove all-or-nothing. */
export async function eventFootprint(knex: Knex): Promise<Record<string, number>> {
  const tables = [
    'business_event_keys',
    'purchase_orders',
    'purchase_order_lines',
    'goods_receipts',
    'goods_receipt_lines',
    'invoices',
    'journal_entries',
    'journal_lines',
    'inventory_movements',
    'inventory_on_hand',
    'outbox',
  ];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await knex(table).count<{ count: string }[]>({ count: '*' });
    counts[table] = Number(row!.count);
  }
  return counts;
}

/**
 * An adapter refused for good: a typed refusal with its code, which the activities turn into a
 * non-retryable failure of the same type (so Temporal does not retry it).
 */
export function isRefusal(code: string) {
  return (error: unknown): true => {
    assert.ok(error instanceof AdapterRefusal, `expected an AdapterRefusal, got ${String(error)}`);
    assert.equal(error.code, code);
    const failure = toActivityFailure(error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, code);
    assert.equal(failure.nonRetryable, true);
    return true;
  };
}

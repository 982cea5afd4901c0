/**
 * KPIs over a hand-made month of ERP data: what an AP manager would check on the dashboard.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const actor = JSON.stringify({ role: 'system', id: 'system' });

async function purchaseOrder(knex: Knex, poNumber: string, createdAt: string, currency = 'USD') {
  await knex('purchase_orders').insert({
    po_number: poNumber,
    supplier_id: 'ACME',
    currency,
    status: 'acknowledged',
    total: '100.0000',
    request_hash: 'h',
    workflow_id: `purchase-order:${poNumber}`,
    created_at: createdAt,
    updated_at: createdAt,
  });
}

async function invoice(
  knex: Knex,
  fields: { poNumber: string; number: string; status: string; matchStatus: string; submittedAt: string; invoiceDate: string; currency?: string; resolution?: 'approve' | 'reject' },
): Promise<number> {
  const [row] = await knex('invoices')
    .insert({
      supplier_id: 'ACME',
      po_number: fields.poNumber,
      invoice_number: fields.number,
      normalised_number: fields.number.replace(/-/g, ''),
      invoice_date: fields.invoiceDate,
      currency: fields.currency ?? 'USD',
      total: '100.0000',
      status: fields.status,
      body_hash: 'b',
      match_status: fields.matchStatus,
      match: JSON.stringify({ status: fields.matchStatus, reasons: [], lines: [] }),
      matched_at: fields.submittedAt,
      submitted_at: fields.submittedAt,
      submitted_by: actor,
      resolution_action: fields.resolution ?? null,
      updated_at: fields.submittedAt,
    })
    .returning<{ id: number }[]>('id');
  return row!.id;
}

async function payment(knex: Knex, invoiceId: number, fields: { status: string; discount: string; executedAt: string | null; attempt?: number }) {
  await knex('payments').insert({
    invoice_id: invoiceId,
    attempt: fields.attempt ?? 1,
    payment_id: `PAY-${invoiceId}-${fields.attempt ?? 1}`,
    status: fields.status,
    due_date: '2026-12-31',
    scheduled_for: '2026-11-20T00:00:00Z',
    amount: '98.0000',
    discount: fields.discount,
    executed_at: fields.executedAt,
    updated_at: fields.executedAt ?? '2026-11-20T00:00:00Z',
  });
}

/** A fresh ERP database holding supplier ACME, and the KPI store over it. */
async function kpiDatabaseWithAcme(): Promise<{ database: TestDatabase; store: KnexReadModel }> {
  const database = await createTestDatabase();
  await database.knex('suppliers').insert({ supplier_id: 'ACME', name: 'Acme', currency: 'USD' });
  return { database, store: new KnexReadModel(database.knex) };
}

describe('procure-to-pay KPIs', () => {
  let database: TestDatabase;
  let store: KnexReadModel;

  before(async () => {
    ({ database, store } = await kpiDatabaseWithAcme());
    const knex = database.knex;

    // Acknowledgements after 2 h, 4 h and 12 h (the second PO was acknowledged twice: the first counts).
    await purchaseOrder(knex, 'PO-1', '2026-11-01T08:00:00Z');
    await purchaseOrder(knex, 'PO-2', '2026-11-02T08:00:00Z');
    await purchaseOrder(knex, 'PO-3', '2026-11-03T08:00:00Z', 'EUR');
    await purchaseOrder(knex, 'PO-4', '2026-11-04T08:00:00Z');
    const ack = (poNumber: string, at: string) =>
      knex('acknowledgements').insert({ po_number: poNumber, acknowledged_at: at, type: 'accept', acknowledged_by: actor });
    await ack('PO-1', '2026-11-01T10:00:00Z');
    await ack('PO-2', '2026-11-02T12:00:00Z');
    await ack('PO-2', '2026-11-05T12:00:00Z');
    await ack('PO-3', '2026-11-03T20:00:00Z');

    // INV-1: matched first time, paid 10 days after its date with a 2.00 discount.
    const inv1 = await invoice(knex, { poNumber: 'PO-1', number: 'INV-1', status: 'paid', matchStatus: 'matched', submittedAt: '2026-11-05T09:00:00Z', invoiceDate: '2026-11-05' });
    await payment(knex, inv1, { status: 'cleared', discount: '2.0000', executedAt: '2026-11-15T00:00:00Z' });
    // INV-2: held with an exception, approved by finance, paid 30 days after its date, no discount.
    const inv2 = await invoice(knex, { poNumber: 'PO-2', number: 'INV-2', status: 'paid', matchStatus: 'exception', submittedAt: '2026-11-06T09:00:00Z', invoiceDate: '2026-10-20', resolution: 'approve' });
    await payment(knex, inv2, { status: 'failed', discount: '0', executedAt: '2026-11-18T00:00:00Z', attempt: 1 });
    await payment(knex, inv2, { status: 'cleared', discount: '0', executedAt: '2026-11-19T00:00:00Z', attempt: 2 });
    // INV-3 (EUR): matched after a credit memo fixed an exception: not first-pass. Discount 1.50 EUR.
    const inv3 = await invoice(knex, { poNumber: 'PO-3', number: 'INV-3', status: 'scheduled', matchStatus: 'matched', submittedAt: '2026-11-07T09:00:00Z', invoiceDate: '2026-11-07', currency: 'EUR' });
    await knex('invoices').where({ id: inv3 }).update({ had_exception: true });
    await payment(knex, inv3, { status: 'sent', discount: '1.5000', executedAt: '2026-11-17T00:00:00Z' });
    // Open exceptions: one 2 days old, one 10 days old. One invoice still waiting for goods.
    await invoice(knex, { poNumber: 'PO-4', number: 'INV-4', status: 'exception', matchStatus: 'exception', submittedAt: '2026-11-28T12:00:00Z', invoiceDate: '2026-11-28' });
    await invoice(knex, { poNumber: 'PO-4', number: 'INV-5', status: 'exception', matchStatus: 'exception', submittedAt: '2026-11-20T12:00:00Z', invoiceDate: '2026-11-20' });
    await invoice(knex, { poNumber: 'PO-4', number: 'INV-6', status: 'pending_receipt', matchStatus: 'pending_receipt', submittedAt: '2026-11-29T12:00:00Z', invoiceDate: '2026-11-29' });
  });

  after(async () => {
    await database.drop();
  });

  it('measures acknowledgement cycle time from issue to the first acknowledgement', async () => {
    const { acknowledgementCycleTime } = await store.kpis(NOW);
    assert.deepEqual(acknowledgementCycleTime, { acknowledgedPurchaseOrders: 3, averageHours: 6, medianHours: 4 });
  });

  it('counts first-pass matches among decided invoices and any-time exceptions among all', async () => {
    const { invoiceMatching } = await store.kpis(NOW);
    assert.deepEqual(invoiceMatching, {
      invoices: 6,
      decidedInvoices: 5,
      firstPassMatched: 1,
      firstPassMatchRate: 0.2,
      invoicesWithException: 4,
      exceptionRate: 0.6667,
    });
  });

  it('ages the open exceptions', async () => {
    const { openExceptionsByAge } = await store.kpis(NOW);
    assert.deepEqual(openExceptionsByAge, { lessThan1Day: 0, from1To3Days: 1, from3To7Days: 0, moreThan7Days: 1, total: 2 });
  });

  it('averages days to pay over the first successful payment of each invoice, and sums discounts per currency', async () => {
    const { daysToPay, discountsCaptured } = await store.kpis(NOW);
    // INV-1: 10 days, INV-2: 30 days (attempt 2; the failed attempt does not count), INV-3: 10 days.
    assert.deepEqual(daysToPay, { paidInvoices: 3, averageDays: 16.67 });
    assert.deepEqual(discountsCaptured, [
      { currency: 'EUR', amount: '1.50', payments: 1 },
      { currency: 'USD', amount: '2.00', payments: 1 },
    ]);
  });
});

describe('ageing an exception that was re-matched and is still held', () => {
  let database: TestDatabase;
  let store: KnexReadModel;

  before(async () => {
    ({ database, store } = await kpiDatabaseWithAcme());
    const knex = database.knex;
    await purchaseOrder(knex, 'PO-7', '2026-11-10T08:00:00Z');
    // INV-7 went into exception on 18 Nov (invoiced 10, 4 received). A second partial receipt on
    // 29 Nov re-matched it (invoiced 10, 8 received): still an exception, with new numbers.
    const id = await invoice(knex, { poNumber: 'PO-7', number: 'INV-7', status: 'exception', matchStatus: 'exception', submittedAt: '2026-11-18T12:00:00Z', invoiceDate: '2026-11-18' });
    // The writer keeps the opening of the exception still open (the PO's exception record).
    await knex('invoices').where({ id }).update({ matched_at: '2026-11-29T12:00:00Z', updated_at: '2026-11-29T12:00:00Z', had_exception: true, exception_opened_at: '2026-11-18T12:00:00Z' });

    // INV-8 was an exception on 1 Nov, then matched after a credit memo on 3 Nov, and fell into a
    // new exception on 27 Nov: the open exception is 3 days old, not 29.
    const id8 = await invoice(knex, { poNumber: 'PO-7', number: 'INV-8', status: 'exception', matchStatus: 'exception', submittedAt: '2026-11-01T12:00:00Z', invoiceDate: '2026-11-01' });
    await knex('invoices').where({ id: id8 }).update({ matched_at: '2026-11-27T12:00:00Z', updated_at: '2026-11-27T12:00:00Z', had_exception: true, exception_opened_at: '2026-11-27T12:00:00Z' });
  });

  after(async () => {
    await database.drop();
  });

  it('ages an exception from when it opened (12 days), not from its latest re-match (1 day)', async () => {
    const { openExceptionsByAge } = await store.kpis(NOW);
    assert.deepEqual(openExceptionsByAge, { lessThan1Day: 0, from1To3Days: 0, from3To7Days: 1, moreThan7Days: 1, total: 2 });
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { BuiltinAccountsPayable } from '../../activities/accounts-payable/builtin';
import { WebhookSupplierPortal } from '../../activities/supplier-portal/webhook';
import { KnexErp } from '../../activities/erp/knex-erp';
import { KnexReadModel } from '../../activities/erp/knex-read-model';
import { DuplicateInvoiceError, InvalidCursorError, UnbalancedJournalError } from '../../activities/errors';
import type { PoView } from '../../workflows/domain/state';
import { CreatePurchaseOrder } from '../../workflows/domain/schemas';
import type { PurchaseOrderIssue } from '../../workflows/purchase-order/activity-contract';
import { eventRecordOf, issueStep } from '../../workflows/purchase-order/event-records';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import {
  businessEvent,
  createSupplier,
  eventFootprint,
  issuedPurchaseOrder,
  nextInstant,
  priceVariance,
  quietLogger,
  receiptJournal,
  withInvoice,
  withReceipt,
} from './fixtures';

let db: TestDatabase;
let erp: KnexErp;
let readModel: KnexReadModel;

before(async () => {
  db = await createTestDatabase();
  erp = new KnexErp(db.knex, quietLogger);
  readModel = new KnexReadModel(db.knex);
  await createSupplier(readModel, 'ACME');
  await createSupplier(readModel, 'GLOBEX');
  await createSupplier(readModel, 'UMBRELLA');
});

after(async () => {
  await db?.drop();
});

/** Issues a PO in the ERP the way the workflow's first event does. */
async function issue(poNumber: string, supplierId = 'ACME', extra: Partial<Parameters<typeof issuedPurchaseOrder>[0]> = {}): Promise<PoView> {
  const po = issuedPurchaseOrder({ poNumber, supplierId, ...extra });
  await erp.recordBusinessEvent(businessEvent(po, { type: 'po.issued' }));
  return po;
}

function receiptEvent(po: PoView, receiptNumber: string, quantity: string, amount: string, idempotencyKey?: string) {
  const received = withReceipt(po, receiptNumber, { 1: quantity });
  return businessEvent(received, {
    type: 'goods.received',
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    document: { kind: 'receipt', receiptNumber },
    journal: receiptJournal(amount),
    inventory: [{ sku: 'BOLT-M8', location: 'MAIN', quantity, lineNo: 1 }],
  });
}

describe('suppliers', () => {
  test('a new supplier is created, a second PUT updates it, and the webhook secret is never handed back', async () => {
    const first = await readModel.upsertSupplier('INITECH', {
      name: 'Initech Fasteners',
      currency: 'EUR',
      paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
      tolerances: { priceVariancePct: '0.05' },
      webhookUrl: 'https://portal.initech.example/hooks',
      webhookSecret: 'a-very-secret-signing-key',
    });
    assert.equal(first.created, true);
    assert.equal(first.supplier.hasWebhookSecret, true);
    assert.equal('webhookSecret' in first.supplier, false);
    assert.deepEqual(first.supplier.paymentTerms, { netDays: 30, discountPercent: '2', discountDays: 10 });

    const second = await readModel.upsertSupplier('INITECH', {
      name: 'Initech Fasteners GmbH',
      currency: 'EUR',
      webhookUrl: 'https://portal.initech.example/hooks/v2',
    });
    assert.equal(second.created, false);
    assert.equal(second.supplier.name, 'Initech Fasteners GmbH');
    assert.equal('webhookSecret' in second.supplier, false);

    const stored = await erp.getSupplier('INITECH');
    assert.ok(stored);
    assert.equal(stored.webhookUrl, 'https://portal.initech.example/hooks/v2');
    // Write-only secret: a PUT without one keeps the one configured before.
    assert.equal(stored.webhookSecret, 'a-very-secret-signing-key');
    // PUT replaces what the caller can read: terms not sent fall back to the default net 30.
    assert.deepEqual(stored.paymentTerms, { netDays: 30 });
    assert.deepEqual(stored.tolerances, {});
  });

  test('an unknown supplier is undefined', async () => {
    assert.equal(await erp.getSupplier('NOBODY'), undefined);
  });
});

describe('recording business events', () => {
  test('an issued PO appears in the read model with its lines and an outbox event', async () => {
    const po = await issue('PO-1001', 'ACME', {
      buyer: 'jane.buyer',
      lines: [
        { lineNo: 1, sku: 'BOLT-M8', quantity: '100', unitPrice: '10.00' },
        { lineNo: 2, sku: 'NUT-M8', quantity: '250.5', unitPrice: '0.1234' },
      ],
    });
    const header = await db.knex('purchase_orders').where({ po_number: 'PO-1001' }).first();
    assert.equal(header.status, 'issued');
    assert.equal(po.total, '1030.91');
    assert.equal(header.total, '1030.9100');
    assert.equal(header.buyer, 'jane.buyer');
    assert.equal(header.workflow_id, 'purchase-order:PO-1001');
    const lines = await db.knex('purchase_order_lines').where({ po_number: 'PO-1001' }).orderBy('line_no');
    assert.deepEqual(
      lines.map((line) => [line.sku, line.quantity, line.unit_price]),
      [
        ['BOLT-M8', '100.0000', '10.0000'],
        ['NUT-M8', '250.5000', '0.1234'],
      ],
    );
    const outbox = await db.knex('outbox').where({ po_number: 'PO-1001' });
    assert.equal(outbox.length, 1);
    assert.equal(outbox[0].type, 'po.issued');
    assert.equal(outbox[0].payload.version, 1);
    assert.equal(outbox[0].published_at, null);
  });

  test('a goods receipt recorded twice with the same key is written once', async () => {
    const po = await issue('PO-1002');
    const event = receiptEvent(po, 'GR-1', '40', '400.00', 'purchase-order:PO-1002/goods.received/GR-1/2');

    assert.deepEqual(await erp.recordBusinessEvent(event), { applied: true });
    const afterFirst = await eventFootprint(db.knex);
    // A retry of the activity after its first attempt committed, with a fresh outbox id.
    assert.deepEqual(await erp.recordBusinessEvent({ ...event, eventId: randomUUID() }), { applied: false });
    assert.deepEqual(await eventFootprint(db.knex), afterFirst);

    const line = await db.knex('purchase_order_lines').where({ po_number: 'PO-1002', line_no: 1 }).first();
    assert.equal(line.received_quantity, '40.0000');
    const receiptLines = await db.knex('goods_receipt_lines').where({ po_number: 'PO-1002' });
    assert.deepEqual(
      receiptLines.map((row) => [row.receipt_number, row.quantity_received]),
      [['GR-1', '40.0000']],
    );
    const movements = await db.knex('inventory_movements').where({ po_number: 'PO-1002' });
    assert.equal(movements.length, 1);
    assert.deepEqual(await readModel.accountBalances('PO-1002'), {
      AP: '0.00',
      BANK: '0.00',
      EXPENSE: '0.00',
      FREIGHT_IN: '0.00',
      GRNI: '-400.00',
      INVENTORY: '400.00',
      PPV: '0.00',
      PURCHASE_DISCOUNTS: '0.00',
      TAX_RECEIVABLE: '0.00',
    });
  });

  test('the same event racing in two activity attempts is written once', async () => {
    const po = await issue('PO-1003');
    const event = receiptEvent(po, 'GR-1', '10', '100.00', 'purchase-order:PO-1003/goods.received/GR-1/2');
    const results = await Promise.all([erp.recordBusinessEvent(event), erp.recordBusinessEvent({ ...event, eventId: randomUUID() })]);
    assert.deepEqual(results.map((result) => result.applied).sort(), [false, true]);
    const entries = await db.knex('journal_entries').where({ po_number: 'PO-1003' });
    assert.equal(entries.length, 1);
  });

  test('inventory on hand adds up receipts of the same sku and location across POs', async () => {
    const before = await db.knex('inventory_on_hand').where({ sku: 'WASHER-M8', location: 'MAIN' }).first();
    assert.equal(before, undefined);
    for (const poNumber of ['PO-1004', 'PO-1005']) {
      const po = await issue(poNumber, 'ACME', { lines: [{ lineNo: 1, sku: 'WASHER-M8', quantity: '10', unitPrice: '0.05' }] });
      const received = withReceipt(po, 'GR-1', { 1: '2.5' });
      await erp.recordBusinessEvent(
        businessEvent(received, {
          type: 'goods.received',
          document: { kind: 'receipt', receiptNumber: 'GR-1' },
          journal: receiptJournal('0.13'),
          inventory: [{ sku: 'WASHER-M8', location: 'MAIN', quantity: '2.5', lineNo: 1 }],
        }),
      );
    }
    const onHand = await db.knex('inventory_on_hand').where({ sku: 'WASHER-M8', location: 'MAIN' }).first();
    assert.equal(onHand.quantity, '5.0000');
  });

  test('an unbalanced journal is refused and nothing of the event is written', async () => {
    const po = await issue('PO-1006');
    const before = await eventFootprint(db.knex);
    const event = receiptEvent(po, 'GR-1', '40', '400.00');
    const unbalanced = {
      ...event,
      journal: {
        description: 'Goods receipt',
        currency: 'USD',
        lines: [
          { account: 'INVENTORY' as const, debit: '400.00', credit: '0.00' },
          { account: 'GRNI' as const, debit: '0.00', credit: '399.99' },
        ],
      },
    };
    await assert.rejects(erp.recordBusinessEvent(unbalanced), UnbalancedJournalError);
    assert.deepEqual(await eventFootprint(db.knex), before);
    // Nothing was claimed either: the corrected event with the same key still goes through.
    assert.deepEqual(await erp.recordBusinessEvent(event), { applied: true });
  });

  test('a failure at the very end of the transaction (the outbox insert) leaves nothing behind', async () => {
    const po = await issue('PO-1007');
    const [issuedEvent] = await db.knex('outbox').where({ po_number: 'PO-1007' }).select('id');
    const before = await eventFootprint(db.knex);
    const statusBefore = (await db.knex('purchase_orders').where({ po_number: 'PO-1007' }).first()).status;

    // Reusing an outbox id makes the last statement of the transaction fail on its primary key.
    const event = receiptEvent(po, 'GR-1', '100', '1000.00');
    await assert.rejects(erp.recordBusinessEvent({ ...event, eventId: issuedEvent.id }), /duplicate key value violates unique constraint "outbox_pkey"/);

    assert.deepEqual(await eventFootprint(db.knex), before);
    const header = await db.knex('purchase_orders').where({ po_number: 'PO-1007' }).first();
    assert.equal(header.status, statusBefore);
    assert.equal((await db.knex('purchase_order_lines').where({ po_number: 'PO-1007' }).first()).received_quantity, '0.0000');
    assert.deepEqual(await db.knex('business_event_keys').where({ idempotency_key: event.idempotencyKey }), []);
    assert.equal((await readModel.accountBalances('PO-1007')).GRNI, '0.00');
  });

  test('the database itself refuses to commit an unbalanced journal inserted directly', async () => {
    await issue('PO-1008');
    const key = 'ops/manual-adjustment/1';
    const attempt = db.knex.transaction(async (trx) => {
      await trx('business_event_keys').insert({ idempotency_key: key, event_id: 'manual-1', po_number: 'PO-1008', event_type: 'manual', occurred_at: nextInstant() });
      const [entry] = await trx('journal_entries')
        .insert({ idempotency_key: key, event_id: 'manual-1', event_type: 'manual', po_number: 'PO-1008', description: 'Manual', currency: 'USD', posted_at: nextInstant() })
        .returning('id');
      await trx('journal_lines').insert([
        { journal_entry_id: entry.id, line_no: 1, account: 'INVENTORY', debit: '50.00', credit: '0' },
        { journal_entry_id: entry.id, line_no: 2, account: 'GRNI', debit: '0', credit: '49.00' },
      ]);
    });
    await assert.rejects(attempt, /journal entry \d+ does not balance/);
    assert.deepEqual(await db.knex('business_event_keys').where({ idempotency_key: key }), []);

    // The check runs at commit, so a balanced entry written line by line is accepted.
    await db.knex.transaction(async (trx) => {
      await trx('business_event_keys').insert({ idempotency_key: key, event_id: 'manual-2', po_number: 'PO-1008', event_type: 'manual', occurred_at: nextInstant() });
      const [entry] = await trx('journal_entries')
        .insert({ idempotency_key: key, event_id: 'manual-2', event_type: 'manual', po_number: 'PO-1008', description: 'Manual', currency: 'USD', posted_at: nextInstant() })
        .returning('id');
      await trx('journal_lines').insert({ journal_entry_id: entry.id, line_no: 1, account: 'INVENTORY', debit: '50.00', credit: '0' });
      await trx('journal_lines').insert({ journal_entry_id: entry.id, line_no: 2, account: 'GRNI', debit: '0', credit: '50.00' });
    });
    assert.equal((await readModel.accountBalances('PO-1008')).INVENTORY, '50.00');

    // And a line with both sides (or neither) is refused outright.
    await assert.rejects(
      db.knex('journal_lines').insert({ journal_entry_id: 1, line_no: 99, account: 'PPV', debit: '1.00', credit: '1.00' }),
      /journal_lines_exactly_one_side/,
    );
  });

  test('a supplier proposal and the buyer decision on it are kept as one acknowledgement', async () => {
    const po = await issue('PO-1010');
    const proposedAt = nextInstant();
    const proposal = {
      type: 'accept_with_changes' as const,
      lines: [{ lineNo: 1, status: 'changed' as const, quantity: '80', promisedDate: '2026-12-01' }],
      at: proposedAt,
      by: { role: 'supplier' as const, id: 'supplier:ACME', supplierId: 'ACME' },
    };
    // As the lifecycle leaves it: the proposal is the latest acknowledgement and the pending change.
    const proposed: PoView = { ...po, acknowledgement: proposal, pendingChanges: proposal, awaitingAcknowledgement: false, status: 'changes_pending' };
    await erp.recordBusinessEvent(businessEvent(proposed, { type: 'po.acknowledged', at: proposedAt }));

    const decidedAt = nextInstant();
    const decided: PoView = {
      ...proposed,
      pendingChanges: null,
      acknowledgement: { ...proposal, decision: { decision: 'approve', at: decidedAt, by: { role: 'procurement', id: 'procurement#test' } } },
      status: 'acknowledged',
    };
    await erp.recordBusinessEvent(businessEvent(decided, { type: 'po.changes_approved', at: decidedAt }));

    const rows = await db.knex('acknowledgements').where({ po_number: 'PO-1010' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].type, 'accept_with_changes');
    assert.equal(rows[0].decision, 'approve');
    assert.deepEqual(rows[0].lines, proposal.lines);
    assert.equal((await db.knex('purchase_orders').where({ po_number: 'PO-1010' }).first()).status, 'acknowledged');
  });

  test('an older snapshot of the PO never overwrites a newer one', async () => {
    const po = await issue('PO-1009');
    const received = withReceipt(po, 'GR-1', { 1: '100' });
    await erp.recordBusinessEvent(
      businessEvent(received, { type: 'goods.received', document: { kind: 'receipt', receiptNumber: 'GR-1' }, journal: receiptJournal('1000.00') }),
    );
    // A late event carrying the PO as it was before the receipt.
    await erp.recordBusinessEvent(businessEvent(po, { type: 'acknowledgement.reminder', at: po.createdAt }));
    const header = await db.knex('purchase_orders').where({ po_number: 'PO-1009' }).first();
    assert.equal(header.status, 'received');
  });
});

describe('invoices', () => {
  test('an invoice is stored with its lines and the numbers behind each match reason', async () => {
    const po = withReceipt(await issue('PO-2001'), 'GR-1', { 1: '100' });
    const at = nextInstant();
    const invoiced = withInvoice(po, { invoiceNumber: 'INV-7781', quantity: '100', unitPrice: '10.30', match: priceVariance(at), at });
    await erp.recordBusinessEvent(businessEvent(invoiced, { type: 'invoice.exception', document: { kind: 'invoice', invoiceNumber: 'INV-7781' } }));

    const invoice = await db.knex('invoices').where({ supplier_id: 'ACME', normalised_number: 'INV7781' }).first();
    assert.equal(invoice.status, 'exception');
    assert.equal(invoice.total, '1030.0000');
    const [line] = await db.knex('invoice_lines').where({ invoice_id: invoice.id });
    assert.equal(line.amount, '1030.0000');
    const reasons = await db.knex('match_reasons').where({ invoice_id: invoice.id });
    assert.deepEqual(
      reasons.map((reason) => [reason.line_no, reason.code, reason.expected, reason.actual, reason.tolerance]),
      [[1, 'PRICE_VARIANCE', '10.00', '10.30', '0.20']],
    );
    const header = await db.knex('purchase_orders').where({ po_number: 'PO-2001' }).first();
    assert.equal(header.has_open_exception, true);

    // Finance approves: a later event about the same invoice updates it and clears nothing else.
    const resolvedAt = nextInstant();
    const approved: PoView = {
      ...invoiced,
      hasOpenException: false,
      invoices: invoiced.invoices.map((candidate) => ({
        ...candidate,
        status: 'approved',
        resolution: { action: 'approve', reason: 'Price increase agreed by phone', by: { role: 'finance', id: 'finance#1' }, at: resolvedAt },
      })),
    };
    await erp.recordBusinessEvent(businessEvent(approved, { type: 'invoice.approved', at: resolvedAt, document: { kind: 'invoice', invoiceNumber: 'INV-7781' } }));
    const after = await db.knex('invoices').where({ id: invoice.id }).first();
    assert.equal(after.status, 'approved');
    assert.equal(after.resolution_action, 'approve');
    assert.equal((await db.knex('match_reasons').where({ invoice_id: invoice.id })).length, 1);
  });

  test('the same invoice number of one supplier on a second PO is a DuplicateInvoiceError and nothing is written', async () => {
    const first = withReceipt(await issue('PO-2002'), 'GR-1', { 1: '100' });
    await erp.recordBusinessEvent(
      businessEvent(withInvoice(first, { invoiceNumber: 'inv-0042', quantity: '100', unitPrice: '10.00' }), {
        type: 'invoice.matched',
        document: { kind: 'invoice', invoiceNumber: 'inv-0042' },
      }),
    );

    const second = withReceipt(await issue('PO-2003'), 'GR-1', { 1: '100' });
    const before = await eventFootprint(db.knex);
    const duplicate = businessEvent(withInvoice(second, { invoiceNumber: 'INV 0042', quantity: '100', unitPrice: '10.00' }), {
      type: 'invoice.matched',
      document: { kind: 'invoice', invoiceNumber: 'INV 0042' },
    });
    await assert.rejects(erp.recordBusinessEvent(duplicate), (error: unknown) => {
      assert.ok(error instanceof DuplicateInvoiceError);
      assert.equal(error.code, 'DUPLICATE_INVOICE');
      assert.equal(error.kind, 'conflict');
      assert.equal(error.existingPoNumber, 'PO-2002');
      return true;
    });
    assert.deepEqual(await eventFootprint(db.knex), before);

    // Another supplier may use the same number.
    const globex = withReceipt(await issue('PO-2004', 'GLOBEX'), 'GR-1', { 1: '100' });
    const applied = await erp.recordBusinessEvent(
      businessEvent(withInvoice(globex, { invoiceNumber: 'INV-0042', quantity: '100', unitPrice: '10.00' }), {
        type: 'invoice.matched',
        document: { kind: 'invoice', invoiceNumber: 'INV-0042' },
      }),
    );
    assert.deepEqual(applied, { applied: true });
  });

  test('checkDuplicateInvoice tells a replay of the same body from a conflicting one', async () => {
    const po = withReceipt(await issue('PO-2005'), 'GR-1', { 1: '100' });
    await erp.recordBusinessEvent(
      businessEvent(withInvoice(po, { invoiceNumber: 'INV-9001', quantity: '100', unitPrice: '10.00', bodyHash: 'body-A' }), {
        type: 'invoice.matched',
        document: { kind: 'invoice', invoiceNumber: 'INV-9001' },
      }),
    );
    assert.deepEqual(await readModel.checkDuplicateInvoice('ACME', 'inv 9001', 'body-A'), { kind: 'same', poNumber: 'PO-2005' });
    assert.deepEqual(await readModel.checkDuplicateInvoice('ACME', 'INV-9001', 'body-B'), { kind: 'conflict', poNumber: 'PO-2005' });
    assert.deepEqual(await readModel.checkDuplicateInvoice('ACME', 'INV-9002', 'body-A'), { kind: 'none' });
    assert.deepEqual(await readModel.checkDuplicateInvoice('GLOBEX', 'INV-9001', 'body-A'), { kind: 'none' });
  });
});

describe('listing purchase orders', () => {
  before(async () => {
    // Two share the same creation instant: paging must not lose or repeat either.
    await issue('PO-L-01', 'UMBRELLA');
    const sameInstant = nextInstant();
    await issue('PO-L-02', 'UMBRELLA', { createdAt: sameInstant });
    await issue('PO-L-03', 'UMBRELLA', { createdAt: sameInstant });
    const po4 = await issue('PO-L-04', 'UMBRELLA');
    await erp.recordBusinessEvent(businessEvent(withReceipt(po4, 'GR-1', { 1: '100' }), { type: 'goods.received', document: { kind: 'receipt', receiptNumber: 'GR-1' } }));
    const po5 = await issue('PO-L-05', 'UMBRELLA');
    await erp.recordBusinessEvent(
      businessEvent(withInvoice(withReceipt(po5, 'GR-1', { 1: '100' }), { invoiceNumber: 'L-5', quantity: '100', unitPrice: '10.30', match: priceVariance(nextInstant()) }), {
        type: 'invoice.exception',
        document: { kind: 'invoice', invoiceNumber: 'L-5' },
      }),
    );
  });

  test('pages newest first with an opaque cursor, neither losing nor repeating a PO', async () => {
    // Page sizes 1 and 3 split the two POs created at the same instant across pages.
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await readModel.listPurchaseOrders({ supplierId: 'UMBRELLA', limit, ...(cursor === undefined ? {} : { cursor }) });
        assert.ok(page.items.length <= limit);
        seen.push(...page.items.map((item) => item.poNumber));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor !== undefined && pages < 10);
      assert.deepEqual(seen, ['PO-L-05', 'PO-L-04', 'PO-L-03', 'PO-L-02', 'PO-L-01'], `page size ${limit}`);
      assert.equal(pages, Math.ceil(5 / limit));
    }
  });

  test('filters by status, supplier and open exception', async () => {
    const received = await readModel.listPurchaseOrders({ status: 'received', supplierId: 'UMBRELLA', limit: 50 });
    assert.deepEqual(received.items.map((item) => item.poNumber).sort(), ['PO-L-04', 'PO-L-05']);
    const withException = await readModel.listPurchaseOrders({ hasException: true, supplierId: 'UMBRELLA', limit: 50 });
    assert.deepEqual(withException.items.map((item) => item.poNumber), ['PO-L-05']);
    assert.equal(withException.nextCursor, null);
    const summary = withException.items[0]!;
    assert.equal(summary.supplierId, 'UMBRELLA');
    assert.equal(summary.total, '1000.00');
    assert.equal(summary.hasOpenException, true);
    const acme = await readModel.listPurchaseOrders({ supplierId: 'ACME', limit: 200 });
    assert.ok(acme.items.every((item) => item.supplierId === 'ACME'));
    assert.ok(acme.items.length > 0);
  });

  test('a cursor that was not handed out is refused', async () => {
    await assert.rejects(readModel.listPurchaseOrders({ limit: 10, cursor: 'not-a-cursor' }), InvalidCursorError);
  });
});

describe('account balances', () => {
  test('balances are debits minus credits per account, for one PO or the whole ledger', async () => {
    const all = await readModel.accountBalances();
    const perPo = await Promise.all(
      (await db.knex('journal_entries').distinct('po_number')).map((row: { po_number: string }) => readModel.accountBalances(row.po_number)),
    );
    // The whole ledger is the sum of the POs' ledgers, and balances to zero.
    let inventoryCents = 0n;
    for (const balances of perPo) inventoryCents += BigInt(balances.INVENTORY!.replace('.', ''));
    assert.equal(BigInt(all.INVENTORY!.replace('.', '')), inventoryCents);
    const totalCents = Object.values(all).reduce((total, balance) => total + BigInt(balance.replace('.', '')), 0n);
    assert.equal(totalCents, 0n);
    assert.equal((await readModel.accountBalances('PO-DOES-NOT-EXIST')).GRNI, '0.00');
  });

  test('ping answers while the database is reachable', async () => {
    await readModel.ping();
  });
});

describe('activities over the ERP', () => {
  const defaults = { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h', captureDiscounts: true };
  const activities = () =>
    createActivities(
      {
        erp,
        portal: new WebhookSupplierPortal(db.knex, erp, { timeoutMs: 1_000 }),
        ap: new BuiltinAccountsPayable(db.knex),
      },
      defaults,
    );
  const run = <P extends unknown[], R>(fn: (...args: P) => Promise<R>, ...args: P): Promise<R> =>
    new MockActivityEnvironment(undefined, { logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } }).run(fn, ...args);

  test('the supplier policy combines supplier overrides, PO terms and the configured defaults', async () => {
    await readModel.upsertSupplier('HOOLI', {
      name: 'Hooli Components',
      currency: 'USD',
      paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
      tolerances: { priceVariancePct: '0.05' },
      slas: { ackSla: '12h' },
    });
    const policy = await run(activities().loadSupplierPolicy, { supplierId: 'HOOLI' });
    assert.deepEqual(policy, {
      tolerances: { qtyOverPct: '0', priceVariancePct: '0.05', priceVarianceAbs: '0.00', totalVarianceAbs: '0.05' },
      slas: { ackSla: '12h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' },
      paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
      captureDiscounts: true,
    });
    const negotiated = await run(activities().loadSupplierPolicy, { supplierId: 'HOOLI', poPaymentTerms: { netDays: 45 } });
    assert.deepEqual(negotiated.paymentTerms, { netDays: 45 });
  });

  test('an unknown supplier is a non-retryable UNKNOWN_SUPPLIER', async () => {
    await assert.rejects(run(activities().loadSupplierPolicy, { supplierId: 'NOBODY' }), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'UNKNOWN_SUPPLIER');
      assert.equal(error.nonRetryable, true);
      return true;
    });
  });

  /** A new PO as the workflow hands it to `issuePurchaseOrder`: the create request, its ids and time. */
  function issueInput(poNumber: string, supplierId: string): PurchaseOrderIssue {
    return {
      issue: {
        po: CreatePurchaseOrder.parse({ poNumber, supplierId, currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT', quantity: '10', unitPrice: '2.00' }] }),
        requestHash: `hash-${poNumber}`,
        actor: { role: 'procurement', id: 'procurement#0a1b2c' },
        issuedAt: '2026-12-02T09:00:00.000Z',
      },
      workflowId: `purchase-order:${poNumber}`,
      stamp: { eventId: randomUUID(), notificationIds: [randomUUID()], at: '2026-12-02T09:00:00.100Z' },
    };
  }

  test('issuePurchaseOrder resolves the policy and records the issue under it, supplier notice included, in one activity', async () => {
    await readModel.upsertSupplier('WAYNE', { name: 'Wayne Fasteners', currency: 'USD', paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 } });
    const input = issueInput('PO-ISSUE-1', 'WAYNE');
    const { policy } = await run(activities().issuePurchaseOrder, input);
    assert.deepEqual(policy, await run(activities().loadSupplierPolicy, { supplierId: 'WAYNE' }));
    const snapshot = await readModel.getPurchaseOrderSnapshot('PO-ISSUE-1');
    assert.equal(snapshot?.status, 'issued');
    assert.deepEqual(snapshot?.policy, policy);
    // The record is the one the workflow builds from the same step: same event id, same notice id.
    const expected = eventRecordOf(issueStep(input.issue, policy), input.workflowId, input.stamp);
    assert.deepEqual(await db.knex('outbox').where({ po_number: 'PO-ISSUE-1' }).select('id', 'type'), [{ id: expected.eventId, type: 'po.issued' }]);
    assert.deepEqual(await db.knex('supplier_notifications').where({ po_number: 'PO-ISSUE-1' }).select('id', 'type'), [{ id: input.stamp.notificationIds[0], type: 'po.issued' }]);
  });

  test('issuePurchaseOrder retried after its first attempt committed answers the recorded policy, even if the supplier changed since, and writes nothing twice', async () => {
    await readModel.upsertSupplier('STARK', { name: 'Stark Bolts', currency: 'USD', paymentTerms: { netDays: 30 } });
    const input = issueInput('PO-ISSUE-2', 'STARK');
    const first = await run(activities().issuePurchaseOrder, input);
    const footprint = await eventFootprint(db.knex);
    await readModel.upsertSupplier('STARK', { name: 'Stark Bolts', currency: 'USD', paymentTerms: { netDays: 60 } });
    const retried = await run(activities().issuePurchaseOrder, { ...input, stamp: { ...input.stamp, eventId: randomUUID(), notificationIds: [randomUUID()] } });
    assert.deepEqual(retried.policy, first.policy);
    assert.deepEqual(retried.policy.paymentTerms, { netDays: 30 });
    assert.deepEqual(await eventFootprint(db.knex), footprint);
    assert.equal((await db.knex('supplier_notifications').where({ po_number: 'PO-ISSUE-2' })).length, 1);
  });

  test('issuePurchaseOrder for an unknown supplier is a non-retryable UNKNOWN_SUPPLIER and records nothing', async () => {
    await assert.rejects(run(activities().issuePurchaseOrder, issueInput('PO-ISSUE-3', 'NOBODY')), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'UNKNOWN_SUPPLIER');
      assert.equal(error.nonRetryable, true);
      return true;
    });
    assert.equal(await readModel.getPurchaseOrderSnapshot('PO-ISSUE-3'), undefined);
  });

  test('a duplicate invoice becomes a non-retryable DUPLICATE_INVOICE conflict for the workflow', async () => {
    const first = withReceipt(await issue('PO-6001'), 'GR-1', { 1: '100' });
    await run(
      activities().recordBusinessEvent,
      businessEvent(withInvoice(first, { invoiceNumber: 'INV-6000', quantity: '100', unitPrice: '10.00' }), {
        type: 'invoice.matched',
        document: { kind: 'invoice', invoiceNumber: 'INV-6000' },
      }),
    );
    const second = withReceipt(await issue('PO-6002'), 'GR-1', { 1: '100' });
    const duplicate = businessEvent(withInvoice(second, { invoiceNumber: 'INV-6000', quantity: '100', unitPrice: '10.00' }), {
      type: 'invoice.matched',
      document: { kind: 'invoice', invoiceNumber: 'INV-6000' },
    });
    await assert.rejects(run(activities().recordBusinessEvent, duplicate), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'DUPLICATE_INVOICE');
      assert.equal(error.nonRetryable, true);
      assert.deepEqual(error.details, [{ kind: 'conflict' }]);
      return true;
    });
  });

  test('an unbalanced journal becomes a non-retryable UNBALANCED_JOURNAL', async () => {
    const po = await issue('PO-6003');
    const event = receiptEvent(po, 'GR-1', '1', '10.00');
    const unbalanced = { ...event, journal: { ...event.journal!, lines: [event.journal!.lines[0]!] } };
    await assert.rejects(run(activities().recordBusinessEvent, unbalanced), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'UNBALANCED_JOURNAL');
      assert.equal(error.nonRetryable, true);
      return true;
    });
  });
});

/**
 * The event catalog against what the workflow really records: purchase orders driven through every
 * branch that publishes an event, the lifecycle and the finance controls (approval tiers, payment
 * holds, returns, disputes), on the time-skipping server with real activities and real PostgreSQL;
 * then every outbox row parsed with its type's catalog schema, strictly: a payload field the
 * catalog does not describe (at any depth), or an event type it does not know, fails here. The static side (every
 * type the code can write is in the catalog) is test/unit/outbox-types.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BuiltinAccountsPayable } from '../../activities/accounts-payable/builtin';
import { AccountsPayableRejectedError } from '../../activities/errors';
import type { AccountsPayablePort } from '../../activities/ports';
import { hashBody } from '../../api/canonical';
import type { UpdateDefinition } from '@temporalio/common';
import { addDays } from '../../workflows/domain/calendar';
import { EventType, catalogEntry } from '../../workflows/domain/schemas/event-catalog';
import type { Actor, PoView } from '../../workflows/domain/state';
import * as definitions from '../../workflows/purchase-order/definitions';
import { eventually } from '../helpers/expectations';
import { actors, PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

const DAY = 86_400_000;

/** The built-in AP, which refuses invoice postings while `refusing` is set. */
let refusing = false;
function refusingOnDemand(ap: AccountsPayablePort): AccountsPayablePort {
  return {
    submitApprovedInvoice: (invoice) => (refusing ? Promise.reject(new AccountsPayableRejectedError('Supplier not set up in AP yet', 422)) : ap.submitApprovedInvoice(invoice)),
    executePayment: (payment) => ap.executePayment(payment),
  };
}

let builtin: BuiltinAccountsPayable | undefined;
const stack = timeSkippingStack(
  async (harness) => {
    builtin = new BuiltinAccountsPayable(harness.knex);
    await PurchaseOrderDriver.supplier(harness, 'NET0', { paymentTerms: { netDays: 0 } });
    await PurchaseOrderDriver.supplier(harness, 'TERMS', { paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 } });
  },
  () => ({ ap: refusingOnDemand({ submitApprovedInvoice: (i) => builtin!.submitApprovedInvoice(i), executePayment: (p) => builtin!.executePayment(p) }) }),
  // Tiers above every lifecycle PO here (at most 300.00), so only the finance scenarios wait for approvers.
  {
    approvalTiers: [
      { currency: 'USD', atLeast: '1000', approvals: 1 },
      { currency: 'USD', atLeast: '5000', approvals: 2 },
    ],
    approvalSla: '24h',
    disputeSla: '2d',
  },
);

const po = (poNumber: string, extra: Record<string, unknown> = {}) => ({
  poNumber,
  supplierId: 'NET0',
  currency: 'USD',
  buyer: 'jane.buyer@example.com',
  lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }],
  ...extra,
});
const buyer = <T>(body: T) => ({ actor: actors.procurement, body, bodyHash: hashBody(body) });
const approver = (n: number): Actor => ({ role: 'approver', id: `approver#${n}` });
function send<T>(order: PurchaseOrderDriver, update: UpdateDefinition<definitions.CommandAck, [any]>, actor: Actor, body: T, extra: Record<string, unknown> = {}): Promise<PoView> {
  return order.update(update, { actor, body, bodyHash: hashBody(body), ...extra });
}

interface OutboxRow {
  type: string;
  po_number: string;
  payload: Record<string, unknown>;
}
const outboxRows = (poNumbers: string): Promise<OutboxRow[]> => stack.harness.knex('outbox').where('po_number', 'like', poNumbers).orderBy('sequence').select('type', 'po_number', 'payload');

/** Fields of `input` that parsing dropped, at any depth: fields the schema does not describe. */
function undescribed(input: unknown, output: unknown, at = ''): string[] {
  if (Array.isArray(input) && Array.isArray(output)) return input.flatMap((item, i) => undescribed(item, output[i], `${at}[${i}]`));
  if (input === null || typeof input !== 'object' || output === null || typeof output !== 'object') return [];
  return Object.entries(input).flatMap(([key, value]) => (key in output ? undescribed(value, (output as Record<string, unknown>)[key], `${at}.${key}`) : [`${at}.${key}`]));
}

/** Every row whose type the catalog does not know, or whose payload its schema refuses or describes only in part. */
function nonConforming(rows: OutboxRow[]): string[] {
  const problems: string[] = [];
  for (const row of rows) {
    const entry = catalogEntry(row.type);
    if (!entry) {
      problems.push(`${row.po_number} ${row.type}: not in the catalog`);
      continue;
    }
    const parsed = entry.payload.strict().safeParse(row.payload);
    if (!parsed.success) problems.push(`${row.po_number} ${row.type}: ${JSON.stringify(parsed.error.issues)} in ${JSON.stringify(row.payload)}`);
    else for (const field of undescribed(row.payload, parsed.data)) problems.push(`${row.po_number} ${row.type}: ${field} is not in the catalog schema`);
  }
  return problems;
}
const invoice = async (number: string, unitPrice = '10.00', quantity = '10') => ({
  invoiceNumber: number,
  invoiceDate: await today(stack.env),
  currency: 'USD',
  lines: [{ lineNo: 1, quantity, unitPrice }],
  total: (Number(quantity) * Number(unitPrice)).toFixed(2),
});

describe('event catalog against the recorded outbox', () => {
  test('every event of the lifecycle fits its catalog schema', async () => {
    await stack.harness.withWorker(async () => {
      // Issue, accept, ship, receive, invoice (matched, paid at once), reported sent and cleared, closed.
      const happy = await PurchaseOrderDriver.issue(stack.harness, po('PO-CAT-HAPPY'));
      await happy.acknowledge({ type: 'accept' });
      await happy.ship({ asnNumber: 'ASN-CAT', shipDate: await today(stack.env), lines: [{ lineNo: 1, quantity: '10' }] });
      await happy.receive({ receiptNumber: 'GR-CAT', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await happy.invoice(await invoice('INV-CAT-HAPPY'));
      await happy.paymentStatus('INV-CAT-HAPPY', { status: 'sent', reference: 'BANK-1' });
      await happy.paymentStatus('INV-CAT-HAPPY', { status: 'cleared', reference: 'BANK-1' });

      // The supplier rejects.
      await (await PurchaseOrderDriver.issue(stack.harness, po('PO-CAT-REJ'))).acknowledge({ type: 'reject', reason: 'Discontinued' });

      // Changes proposed, rejected, proposed again, approved; a change order; cancelled.
      const changing = await PurchaseOrderDriver.issue(stack.harness, po('PO-CAT-CHG'));
      const proposal = { type: 'accept_with_changes' as const, lines: [{ lineNo: 1, status: 'changed' as const, quantity: '8' }] };
      await changing.acknowledge(proposal);
      await changing.handle.executeUpdate(definitions.decideChanges, { args: [buyer({ decision: 'reject' as const, reason: 'We need 10' })] });
      await changing.acknowledge(proposal);
      await changing.handle.executeUpdate(definitions.decideChanges, { args: [buyer({ decision: 'approve' as const })] });
      await changing.handle.executeUpdate(definitions.changeOrder, { args: [buyer({ lines: [{ lineNo: 1, action: 'change' as const, quantity: '9' }] })] });
      await changing.handle.executeUpdate(definitions.cancel, { args: [buyer({ reason: 'Project stopped' })] });

      // An invoice before the goods (pending, then re-matched), one over price (exception, approved after its SLA ran out),
      // a credit memo, a failed payment approved again, and a rejected invoice.
      const billing = await PurchaseOrderDriver.issue(stack.harness, po('PO-CAT-BILL', { lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: '30', unitPrice: '10.00' }] }));
      await billing.acknowledge({ type: 'accept' });
      await billing.invoice(await invoice('INV-CAT-EARLY'));
      await billing.receive({ receiptNumber: 'GR-CAT-B1', lines: [{ lineNo: 1, quantityReceived: '20' }] });
      await billing.invoice(await invoice('INV-CAT-PRICE', '10.50'));
      await billing.creditMemo({ creditMemoNumber: 'CM-CAT', invoiceNumber: 'INV-CAT-PRICE', lines: [{ lineNo: 1, quantity: '1', unitPrice: '10.50' }], total: '10.50' });
      await stack.env.sleep(4 * DAY);
      await billing.resolve('INV-CAT-PRICE', { action: 'approve', reason: 'Price increase agreed' });
      await billing.paymentStatus('INV-CAT-EARLY', { status: 'failed', reference: 'R01' });
      await billing.receive({ receiptNumber: 'GR-CAT-B2', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await billing.invoice(await invoice('INV-CAT-WRONG', '12.00'));
      await billing.resolve('INV-CAT-WRONG', { action: 'reject', reason: 'Wrong price' });

      // AP refuses the posting at first: the approval is recorded alone later as payment.scheduled.
      const refused = await PurchaseOrderDriver.issue(stack.harness, po('PO-CAT-AP'));
      await refused.acknowledge({ type: 'accept' });
      await refused.receive({ receiptNumber: 'GR-CAT-AP', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      refusing = true;
      await refused.invoice(await invoice('INV-CAT-AP'));
      refusing = false;
      await stack.env.sleep('16 minutes');

      // Timers: an unacknowledged PO is reminded and escalated; an acknowledged one is late.
      await PurchaseOrderDriver.issue(stack.harness, po('PO-CAT-SILENT'));
      const late = await PurchaseOrderDriver.issue(stack.harness, po('PO-CAT-LATE'));
      await late.acknowledge({ type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: addDays(await today(stack.env), 1) }] });
      await stack.env.sleep(4 * DAY);
    });

    assert.deepEqual(nonConforming(await outboxRows('PO-CAT-%')), []);
  });

  test('every event of the finance controls fits its catalog schema: approvals, holds, returns, disputes', async () => {
    const { harness, env } = stack;
    await harness.withWorker(async () => {
      const date = await today(env);
      const widgets = (quantity: string, unitPrice = '10.00') => ({ lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity, unitPrice }] });
      const invoiceOf = (invoiceNumber: string, quantity: string, unitPrice = '10.00') => ({
        invoiceNumber,
        invoiceDate: date,
        currency: 'USD',
        lines: [{ lineNo: 1, quantity, unitPrice }],
        total: (Number(quantity) * Number(unitPrice)).toFixed(2),
      });

      // Approval tiers: 6,000 needs two approvers; a rejection cancels; a request nobody decides is escalated;
      // a change order raising the PO to a tier waits, then is applied when approved.
      const twoApprovers = await PurchaseOrderDriver.issue(harness, po('PO-CAF-APR', widgets('600')));
      await send(twoApprovers, definitions.decideApproval, approver(1), { decision: 'approve', reason: 'Budgeted for Q4' });
      await send(twoApprovers, definitions.decideApproval, approver(2), { decision: 'approve', reason: 'CFO ok' });
      const refused = await PurchaseOrderDriver.issue(harness, po('PO-CAF-APR-REJ', widgets('200')));
      await send(refused, definitions.decideApproval, approver(1), { decision: 'reject', reason: 'Not in the budget' });
      await PurchaseOrderDriver.issue(harness, po('PO-CAF-APR-ESC', widgets('150')));
      const raised = await PurchaseOrderDriver.issue(harness, po('PO-CAF-APR-CO', widgets('50')));
      await raised.acknowledge({ type: 'accept' });
      await send(raised, definitions.changeOrder, actors.procurement, { lines: [{ lineNo: 1, action: 'change', quantity: '150' }] });
      await send(raised, definitions.decideApproval, approver(1), { decision: 'approve', reason: 'Demand confirmed' });

      // Payment holds: an invoice held and released by hand after its discount date (the discount is lost),
      // one released by its release date, and a supplier-wide hold released by finance.
      const held = await PurchaseOrderDriver.issue(harness, po('PO-CAF-HOLD', { supplierId: 'TERMS' }));
      await held.acknowledge({ type: 'accept' });
      await held.receive({ receiptNumber: 'GR-CAF-H1', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await held.invoice(invoiceOf('INV-CAF-H1', '10'));
      await send(held, definitions.holdInvoicePayment, actors.finance, { reason: 'Quality complaint pending' }, { invoiceNumber: 'INV-CAF-H1' });
      const timed = await PurchaseOrderDriver.issue(harness, po('PO-CAF-HOLD-T', { supplierId: 'TERMS' }));
      await timed.acknowledge({ type: 'accept' });
      await timed.receive({ receiptNumber: 'GR-CAF-H2', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await timed.invoice(invoiceOf('INV-CAF-H2', '10'));
      await send(timed, definitions.holdInvoicePayment, actors.finance, { reason: 'Check bank details', releaseOn: addDays(date, 3) }, { invoiceNumber: 'INV-CAF-H2' });
      const supplierHeld = await PurchaseOrderDriver.issue(harness, po('PO-CAF-SHOLD'));
      await supplierHeld.acknowledge({ type: 'accept' });
      const placedAt = new Date(await env.currentTimeMs()).toISOString();
      await send(supplierHeld, definitions.placeSupplierHold, actors.finance, { holdId: 'SH-CAF', reason: 'Bank account change being verified', placedAt });
      await supplierHeld.receive({ receiptNumber: 'GR-CAF-SH', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await supplierHeld.invoice(invoiceOf('INV-CAF-SH', '10'));
      await send(supplierHeld, definitions.releaseSupplierHold, actors.finance, { holdId: 'SH-CAF' });

      // A return after invoicing (a debit note, stock out, a replacement owed) and the supplier's memo settling it.
      const returning = await PurchaseOrderDriver.issue(harness, po('PO-CAF-RTV', { supplierId: 'TERMS' }));
      await returning.acknowledge({ type: 'accept' });
      await returning.receive({ receiptNumber: 'GR-CAF-R', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await returning.invoice(invoiceOf('INV-CAF-R', '10'));
      await send(returning, definitions.returnGoods, actors.warehouse, { rmaNumber: 'RMA-CAF', reason: 'Wrong colour', location: 'MAIN', replacement: true, lines: [{ lineNo: 1, quantity: '3' }] });
      await returning.creditMemo({ creditMemoNumber: 'CM-CAF-R', invoiceNumber: 'INV-CAF-R', lines: [{ lineNo: 1, quantity: '3', unitPrice: '10.00' }], total: '30.00' });

      // Disputes answered with a credit memo, with a corrected invoice, and left unanswered past DISPUTE_SLA.
      const credited = await PurchaseOrderDriver.issue(harness, po('PO-CAF-DSP1'));
      await credited.acknowledge({ type: 'accept' });
      await credited.receive({ receiptNumber: 'GR-CAF-D1', lines: [{ lineNo: 1, quantityReceived: '8' }] });
      await credited.invoice(invoiceOf('INV-CAF-D1', '10'));
      const first = await send(credited, definitions.openDispute, actors.finance, { message: 'We received 8, you billed 10' }, { invoiceNumber: 'INV-CAF-D1' });
      const memo = { creditMemoNumber: 'CM-CAF-D1', invoiceNumber: 'INV-CAF-D1', lines: [{ lineNo: 1, quantity: '2', unitPrice: '10.00' }], total: '20.00' };
      await send(credited, definitions.replyToDispute, actors.supplier('NET0'), { message: 'Credit attached', creditMemo: memo }, { invoiceNumber: 'INV-CAF-D1', disputeId: first.disputes[0]!.id, documentHash: hashBody(memo) });
      const corrected = await PurchaseOrderDriver.issue(harness, po('PO-CAF-DSP2'));
      await corrected.acknowledge({ type: 'accept' });
      await corrected.receive({ receiptNumber: 'GR-CAF-D2', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await corrected.invoice(invoiceOf('INV-CAF-D2', '10', '10.50'));
      const second = await send(corrected, definitions.openDispute, actors.finance, { message: 'Agreed price is 10.00' }, { invoiceNumber: 'INV-CAF-D2' });
      const replacement = { ...invoiceOf('INV-CAF-D2-C', '10'), freight: '0', tax: '0' };
      await send(corrected, definitions.replyToDispute, actors.supplier('NET0'), { message: 'Corrected invoice attached', correctedInvoice: replacement }, { invoiceNumber: 'INV-CAF-D2', disputeId: second.disputes[0]!.id, documentHash: hashBody(replacement) });
      const silent = await PurchaseOrderDriver.issue(harness, po('PO-CAF-DSP3'));
      await silent.acknowledge({ type: 'accept' });
      await silent.receive({ receiptNumber: 'GR-CAF-D3', lines: [{ lineNo: 1, quantityReceived: '10' }] });
      await silent.invoice(invoiceOf('INV-CAF-D3', '10', '11.00'));
      await send(silent, definitions.openDispute, actors.finance, { message: 'Price?' }, { invoiceNumber: 'INV-CAF-D3' });

      // Past APPROVAL_SLA, DISPUTE_SLA, the timed release and INV-CAF-H1's discount date; then its hold is released.
      await env.sleep(12 * DAY);
      await eventually(async () => (await outboxRows('PO-CAF-HOLD-T')).some((row) => row.type === 'invoice.payment_released'), 'the timed release');
      await send(held, definitions.releaseInvoicePayment, actors.finance, { reason: 'Complaint settled' }, { invoiceNumber: 'INV-CAF-H1' });
      const paid = (await held.state()).invoices[0]!;
      assert.equal(paid.status, 'paid', 'paid at release, the discount lost');

      // The payment status in events is named and valued as in the PO view.
      const payments = (await outboxRows('PO-CAF-HOLD')).filter((row) => row.type.startsWith('payment.'));
      assert.equal(payments.at(-1)!.payload.paymentStatus, paid.payment!.status);
    });

    assert.deepEqual(nonConforming(await outboxRows('PO-CAF-%')), []);
  });

  test('every catalog type is published by some branch above', async () => {
    const published = new Set((await outboxRows('PO-CA_-%')).map((row) => row.type));
    assert.deepEqual(EventType.options.filter((type) => !published.has(type)), [], 'a catalog type no scenario publishes: add the branch that writes it');
  });
});

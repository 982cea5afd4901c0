/**
 * The event catalog against what the workflow really records: purchase orders driven through every
 * branch that publishes an event (on the time-skipping server, real activities, real PostgreSQL),
 * then every outbox row parsed with its type's catalog schema, strictly: a payload field the
 * catalog does not describe, or an event type it does not know, fails here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BuiltinAccountsPayable } from '../../activities/accounts-payable/builtin';
import { AccountsPayableRejectedError } from '../../activities/errors';
import type { AccountsPayablePort } from '../../activities/ports';
import { hashBody } from '../../api/canonical';
import { addDays } from '../../workflows/domain/calendar';
import { EventType, catalogEntry } from '../../workflows/domain/schemas/event-catalog';
import * as definitions from '../../workflows/purchase-order/definitions';
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
  },
  () => ({ ap: refusingOnDemand({ submitApprovedInvoice: (i) => builtin!.submitApprovedInvoice(i), executePayment: (p) => builtin!.executePayment(p) }) }),
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
const invoice = async (number: string, unitPrice = '10.00', quantity = '10') => ({
  invoiceNumber: number,
  invoiceDate: await today(stack.env),
  currency: 'USD',
  lines: [{ lineNo: 1, quantity, unitPrice }],
  total: (Number(quantity) * Number(unitPrice)).toFixed(2),
});

describe('event catalog against the recorded outbox', () => {
  test('every event a purchase order publishes fits its catalog schema, and every catalog type is published', async () => {
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

    const rows: { type: string; po_number: string; payload: Record<string, unknown> }[] = await stack.harness.knex('outbox').where('po_number', 'like', 'PO-CAT-%').select('type', 'po_number', 'payload');
    const problems: string[] = [];
    for (const row of rows) {
      const entry = catalogEntry(row.type);
      if (!entry) {
        problems.push(`${row.po_number} ${row.type}: not in the catalog`);
        continue;
      }
      const parsed = entry.payload.strict().safeParse(row.payload);
      if (!parsed.success) problems.push(`${row.po_number} ${row.type}: ${JSON.stringify(parsed.error.issues)} in ${JSON.stringify(row.payload)}`);
    }
    assert.deepEqual(problems, []);
    const published = new Set(rows.map((row) => row.type));
    assert.deepEqual(EventType.options.filter((type) => !published.has(type)), [], 'every catalog type is published by some branch');
  });
});

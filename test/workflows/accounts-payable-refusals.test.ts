/**
 * An external AP tool that refuses work must not fail a PO, lose an invoice, or be hammered:
 * a refused invoice posting stays recorded and approved and is retried; a refused payment is
 * retried every 15 minutes, not in a tight loop; both complete once AP accepts.
 * Real HTTP AP adapter against a local AP tool on 127.0.0.1, real PostgreSQL, time-skipping server.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { HttpAccountsPayable } from '../../activities/accounts-payable/http';
import { PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

/** What the local AP tool refuses (as a business error, 422) right now, and what it was asked. */
const apTool = {
  refuseInvoices: false,
  refusePayments: false,
  invoicePosts: [] as string[],
  paymentRequests: 0,
};

const apServer = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/invoices') {
      apTool.invoicePosts.push(String(req.headers['idempotency-key']));
      if (apTool.refuseInvoices) {
        res.statusCode = 422;
        res.end(JSON.stringify({ error: 'Supplier NET0 is not set up in AP' }));
        return;
      }
      res.end(JSON.stringify({ apReference: 'AP-1' }));
      return;
    }
    apTool.paymentRequests += 1;
    if (apTool.refusePayments) {
      res.statusCode = 422;
      res.end(JSON.stringify({ error: 'Supplier bank account is blocked' }));
      return;
    }
    res.end(JSON.stringify({ paymentId: `BANK-${JSON.parse(body).attempt}` }));
  });
});

before(() => new Promise<void>((resolve) => apServer.listen(0, '127.0.0.1', resolve)));
after(() => apServer.close());

const stack = timeSkippingStack(
  async (harness) => PurchaseOrderDriver.supplier(harness, 'NET0', { paymentTerms: { netDays: 0 } }),
  () => ({ ap: new HttpAccountsPayable({ url: `http://127.0.0.1:${(apServer.address() as AddressInfo).port}` }) }),
);

/** A one-line net-0 PO of NET0, acknowledged, received in full and invoiced exactly. */
async function receivedAndInvoiced(suffix: string) {
  const po = await PurchaseOrderDriver.issue(stack.harness, {
    poNumber: `PO-${suffix}`,
    supplierId: 'NET0',
    currency: 'USD',
    lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }],
  });
  await po.acknowledge({ type: 'accept' });
  await po.receive({ receiptNumber: `GR-${suffix}`, lines: [{ lineNo: 1, quantityReceived: '10' }] });
  const outcome = await po.invoice({ invoiceNumber: `INV-${suffix}`, invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
  return { po, outcome };
}

test('an invoice AP refuses stays recorded and approved, and is posted and paid once AP accepts it', async () => {
  apTool.refuseInvoices = true;
  const { po, outcome } = await receivedAndInvoiced('AP-DOWN');
  assert.equal(outcome.match.status, 'matched');
  assert.equal(outcome.status, 'approved', 'recorded and approved, waiting for AP');
  assert.ok(apTool.invoicePosts.length >= 1);
  const row = await stack.harness.knex('invoices').where({ invoice_number: 'INV-AP-DOWN' }).first();
  assert.ok(row, 'the invoice is in the ERP');

  apTool.refuseInvoices = false;
  await stack.env.sleep('16 minutes');
  const paid = (await po.state()).invoices[0]!;
  assert.equal(paid.status, 'paid');
  assert.equal(paid.payment?.paymentId, 'BANK-1');
  const description = await po.handle.describe();
  assert.equal(description.status.name, 'RUNNING', 'the PO never failed');
});

test('a payment AP refuses is tried again every 15 minutes, not in a tight loop, and is paid once AP accepts it', async () => {
  apTool.refusePayments = true;
  apTool.paymentRequests = 0;
  const { po, outcome } = await receivedAndInvoiced('AP-PAY-REFUSED');
  assert.equal(outcome.status, 'scheduled', 'net 0: due at once, but AP refused to pay it');
  assert.ok(apTool.paymentRequests >= 1);

  await stack.env.sleep('40 minutes');
  // The first try, then one every 15 minutes: 3 or 4, never hundreds.
  assert.ok(apTool.paymentRequests <= 5, `AP was asked to pay ${apTool.paymentRequests} times in 40 minutes`);
  assert.equal((await po.state()).invoices[0]!.status, 'scheduled');

  apTool.refusePayments = false;
  await stack.env.sleep('16 minutes');
  const paid = (await po.state()).invoices[0]!;
  assert.equal(paid.status, 'paid');
  assert.equal(paid.payment?.paymentId, 'BANK-1');
  assert.equal((await po.handle.describe()).status.name, 'RUNNING', 'the PO never failed');
});

/**
 * An external AP tool that refuses an approved invoice must not fail the PO or lose the invoice:
 * the invoice is recorded, posting is retried, and once AP accepts it the invoice is paid.
 * Real HTTP AP adapter against a local AP tool on 127.0.0.1, real PostgreSQL, time-skipping server.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { HttpAccountsPayable } from '../../activities/accounts-payable/http';
import { PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

/** While true, the AP tool refuses invoices as a business error (422). */
let apRefusesInvoices = true;
const invoicePosts: string[] = [];

const apTool = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/invoices') {
      invoicePosts.push(String(req.headers['idempotency-key']));
      if (apRefusesInvoices) {
        res.statusCode = 422;
        res.end(JSON.stringify({ error: 'Supplier NET0 is not set up in AP' }));
        return;
      }
      res.end(JSON.stringify({ apReference: 'AP-1' }));
      return;
    }
    res.end(JSON.stringify({ paymentId: `BANK-${JSON.parse(body).attempt}` }));
  });
});

before(() => new Promise<void>((resolve) => apTool.listen(0, '127.0.0.1', resolve)));
after(() => apTool.close());

const stack = timeSkippingStack(
  async (harness) => PurchaseOrderDriver.supplier(harness, 'NET0', { paymentTerms: { netDays: 0 } }),
  () => ({ ap: new HttpAccountsPayable({ url: `http://127.0.0.1:${(apTool.address() as AddressInfo).port}` }) }),
);

test('an invoice AP refuses stays recorded and approved, and is posted and paid once AP accepts it', async () => {
  const po = await PurchaseOrderDriver.issue(stack.harness, {
    poNumber: 'PO-AP-DOWN',
    supplierId: 'NET0',
    currency: 'USD',
    lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }],
  });
  await po.acknowledge({ type: 'accept' });
  await po.receive({ receiptNumber: 'GR-AP', lines: [{ lineNo: 1, quantityReceived: '10' }] });
  const outcome = await po.invoice({ invoiceNumber: 'INV-AP', invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
  assert.equal(outcome.match.status, 'matched');
  assert.equal(outcome.status, 'approved', 'recorded and approved, waiting for AP');
  assert.ok(invoicePosts.length >= 1);
  const row = await stack.harness.knex('invoices').where({ invoice_number: 'INV-AP' }).first();
  assert.ok(row, 'the invoice is in the ERP');

  apRefusesInvoices = false;
  await stack.env.sleep('16 minutes');
  const paid = (await po.state()).invoices[0]!;
  assert.equal(paid.status, 'paid');
  assert.equal(paid.payment?.paymentId, 'BANK-1');
  const description = await po.handle.describe();
  assert.equal(description.status.name, 'RUNNING', 'the PO never failed');
});

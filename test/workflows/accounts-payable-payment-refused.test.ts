/**
 * An AP tool that refuses to execute a payment (a business error, e.g. the supplier's bank
 * account is blocked) must not turn the due payment into a tight retry loop: the PO tries again
 * at the settle-retry interval (15 minutes), not on every workflow task, and pays once AP accepts.
 * Real HTTP AP adapter against a local AP tool on 127.0.0.1, real PostgreSQL, time-skipping server.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { HttpAccountsPayable } from '../../activities/accounts-payable/http';
import { PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

/** While true, the AP tool refuses payments as a business error (422). */
let apRefusesPayments = true;
let paymentRequests = 0;

const apTool = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/payments') {
      paymentRequests += 1;
      if (apRefusesPayments) {
        res.statusCode = 422;
        res.end(JSON.stringify({ error: 'Supplier bank account is blocked' }));
        return;
      }
      res.end(JSON.stringify({ paymentId: `BANK-${JSON.parse(body).attempt}` }));
      return;
    }
    res.end(JSON.stringify({ apReference: 'AP-1' }));
  });
});

before(() => new Promise<void>((resolve) => apTool.listen(0, '127.0.0.1', resolve)));
after(() => apTool.close());

const stack = timeSkippingStack(
  async (harness) => PurchaseOrderDriver.supplier(harness, 'NET0', { paymentTerms: { netDays: 0 } }),
  () => ({ ap: new HttpAccountsPayable({ url: `http://127.0.0.1:${(apTool.address() as AddressInfo).port}` }) }),
);

test('a payment AP refuses is tried again every 15 minutes, not in a tight loop, and is paid once AP accepts it', async () => {
  const po = await PurchaseOrderDriver.issue(stack.harness, {
    poNumber: 'PO-AP-PAY-REFUSED',
    supplierId: 'NET0',
    currency: 'USD',
    lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }],
  });
  await po.acknowledge({ type: 'accept' });
  await po.receive({ receiptNumber: 'GR-APP', lines: [{ lineNo: 1, quantityReceived: '10' }] });
  const outcome = await po.invoice({ invoiceNumber: 'INV-APP', invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
  assert.equal(outcome.status, 'scheduled', 'net 0: due at once, but AP refused to pay it');
  assert.ok(paymentRequests >= 1);

  await stack.env.sleep('40 minutes');
  // The first try, then one every 15 minutes: 3 or 4, never hundreds.
  assert.ok(paymentRequests <= 5, `AP was asked to pay ${paymentRequests} times in 40 minutes`);
  assert.equal((await po.state()).invoices[0]!.status, 'scheduled');

  apRefusesPayments = false;
  await stack.env.sleep('16 minutes');
  const paid = (await po.state()).invoices[0]!;
  assert.equal(paid.status, 'paid');
  assert.equal(paid.payment?.paymentId, 'BANK-1');
  assert.equal((await po.handle.describe()).status.name, 'RUNNING', 'the PO never failed');
});

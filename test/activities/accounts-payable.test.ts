import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { BuiltinAccountsPayable } from '../../activities/accounts-payable/builtin';
import { HttpAccountsPayable } from '../../activities/accounts-payable/http';
import type { PaymentExecution } from '../../activities/ports';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { isRefusal, issuedPurchaseOrder, withInvoice, withReceipt } from './fixtures';

let db: TestDatabase;
let ap: BuiltinAccountsPayable;

before(async () => {
  db = await createTestDatabase();
  ap = new BuiltinAccountsPayable(db.knex);
});

after(async () => {
  await db?.drop();
});

function payment(overrides: Partial<PaymentExecution> = {}): PaymentExecution {
  return {
    idempotencyKey: 'purchase-order:PO-3001/payment/INV7781/1',
    poNumber: 'PO-3001',
    supplierId: 'ACME',
    invoiceNumber: 'INV-7781',
    currency: 'USD',
    amount: '980.00',
    discount: '20.00',
    attempt: 1,
    ...overrides,
  };
}

function approvedInvoice(poNumber: string, invoiceNumber: string) {
  const po = withInvoice(withReceipt(issuedPurchaseOrder({ poNumber, supplierId: 'ACME' }), 'GR-1', { 1: '100' }), {
    invoiceNumber,
    quantity: '100',
    unitPrice: '10.00',
  });
  return { ...po.invoices[0]!, poNumber, supplierId: 'ACME' };
}

describe('built-in accounts payable', () => {
  test('a payment retried with the same key is paid once and answers the same payment id', async () => {
    const first = await ap.executePayment(payment());
    const retried = await ap.executePayment(payment());
    assert.match(first.paymentId, /^PAY-[0-9A-F]{16}$/);
    assert.equal(retried.paymentId, first.paymentId);
    const booked = await db.knex('ap_payments').where({ invoice_number: 'INV-7781' });
    assert.equal(booked.length, 1);
    assert.equal(booked[0].amount, '980.0000');
    assert.equal(booked[0].discount, '20.0000');
  });

  test('two activity attempts racing with the same key never pay twice', async () => {
    const key = 'purchase-order:PO-3002/payment/INV100/1';
    const results = await Promise.all(
      Array.from({ length: 8 }, () => ap.executePayment(payment({ idempotencyKey: key, poNumber: 'PO-3002', invoiceNumber: 'INV-100' }))),
    );
    assert.equal(new Set(results.map((result) => result.paymentId)).size, 1);
    assert.equal((await db.knex('ap_payments').where({ idempotency_key: key })).length, 1);
  });

  test('a second attempt after a failed payment is a new payment with its own id', async () => {
    const first = await ap.executePayment(payment({ idempotencyKey: 'purchase-order:PO-3003/payment/INV200/1', poNumber: 'PO-3003', invoiceNumber: 'INV-200' }));
    const second = await ap.executePayment(
      payment({ idempotencyKey: 'purchase-order:PO-3003/payment/INV200/2', poNumber: 'PO-3003', invoiceNumber: 'INV-200', attempt: 2 }),
    );
    assert.notEqual(second.paymentId, first.paymentId);
  });

  test('a key reused for another amount is refused, not paid', async () => {
    await assert.rejects(ap.executePayment(payment({ amount: '1000.00' })), isRefusal('PAYMENT_KEY_REUSED'));
  });

  test('an approved invoice is registered with AP once, under one reference', async () => {
    const invoice = approvedInvoice('PO-3004', 'INV-500');
    const [first, second] = await Promise.all([ap.submitApprovedInvoice(invoice), ap.submitApprovedInvoice(invoice)]);
    assert.match(first.apReference, /^AP-[0-9A-F]{16}$/);
    assert.equal(second.apReference, first.apReference);
    assert.equal((await db.knex('ap_invoices').where({ supplier_id: 'ACME', normalised_number: 'INV500' })).length, 1);
  });
});

describe('HTTP accounts payable', () => {
  let server: http.Server;
  let baseUrl: string;
  const received: { path: string; key: string | undefined; authorization: string | undefined; body: unknown }[] = [];
  let answer: { status: number; body: unknown } = { status: 201, body: { paymentId: 'BANK-PAY-1' } };

  before(async () => {
    server = http.createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          key: request.headers['idempotency-key'] as string | undefined,
          authorization: request.headers.authorization,
          body: JSON.parse(text),
        });
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ap/`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('a payment is posted with the idempotency key and bearer token, and answers the payment id', async () => {
    const client = new HttpAccountsPayable({ url: baseUrl, token: 'ap-token' });
    answer = { status: 201, body: { paymentId: 'BANK-PAY-1' } };
    assert.deepEqual(await client.executePayment(payment()), { paymentId: 'BANK-PAY-1' });
    const request = received.at(-1)!;
    assert.equal(request.path, '/ap/payments');
    assert.equal(request.key, 'purchase-order:PO-3001/payment/INV7781/1');
    assert.equal(request.authorization, 'Bearer ap-token');
    assert.equal((request.body as PaymentExecution).amount, '980.00');

    answer = { status: 200, body: { apReference: 'AP-77' } };
    assert.deepEqual(await client.submitApprovedInvoice(approvedInvoice('PO-3005', 'INV-600')), { apReference: 'AP-77' });
    assert.equal(received.at(-1)!.path, '/ap/invoices');
    assert.equal(received.at(-1)!.key, 'invoice/ACME/INV600');
  });

  test('a 4xx refusal is not retried; a 5xx is thrown for Temporal to retry', async () => {
    const client = new HttpAccountsPayable({ url: baseUrl });
    answer = { status: 422, body: { title: 'Supplier bank account missing' } };
    await assert.rejects(client.executePayment(payment()), isRefusal('AP_REJECTED'));
    answer = { status: 503, body: { title: 'maintenance' } };
    await assert.rejects(client.executePayment(payment()), (error: unknown) => {
      assert.ok(!(error instanceof ApplicationFailure));
      assert.match((error as Error).message, /503/);
      return true;
    });
    answer = { status: 409, body: { title: 'request with this key in flight' } };
    await assert.rejects(client.executePayment(payment()), (error: unknown) => !(error instanceof ApplicationFailure));
  });
});

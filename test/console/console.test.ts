/**
 * The web console in real Chromium, in front of the real workflow (a worker on the dev server,
 * real PostgreSQL): sign-in per role, finance approving an exception until the PO is paid, a
 * supplier acknowledging and shipping, supplier isolation, CSRF, sign-out, and an accessibility
 * check of every main page. Scenarios as a clerk, a buyer or a supplier would walk them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Browser, Page } from 'playwright-core';
import winston from 'winston';
import { startWorker } from '../../workers/main';
import type { RunningWorker } from '../../workers/main';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';
import { KEYS, ok, stackConfig, startApi } from '../api/api-harness';
import type { ApiUnderTest, KeyName } from '../api/api-harness';
import { launchChromium, screenshot, seriousViolations, signedIn } from './browser';

const TODAY = new Date().toISOString().slice(0, 10);

describe('the console in Chromium', { timeout: 600_000 }, () => {
  let database: TestDatabase;
  let worker: RunningWorker;
  let client: Client;
  let api: ApiUnderTest;
  let browser: Browser;

  async function issue(poNumber: string, supplierId: string, quantity = '10'): Promise<void> {
    await ok(
      api.request('POST', '/v1/purchase-orders', {
        key: 'procurement',
        body: { poNumber, supplierId, currency: 'USD', buyer: 'jane.buyer@distributor.example', lines: [{ lineNo: 1, sku: 'BOLT-M8', description: 'Hex bolt M8x40', quantity, unitPrice: '10.00' }, { lineNo: 2, sku: 'NUT-M8', description: 'Hex nut M8', quantity: '50', unitPrice: '0.40' }] },
      }),
      201,
    );
  }

  /** Issued, acknowledged, received in full and invoiced at `unitPrice` for line 1 (above 10.00: held with PRICE_VARIANCE). */
  async function invoiced(poNumber: string, supplier: KeyName, supplierId: string, unitPrice: string): Promise<void> {
    await issue(poNumber, supplierId);
    await ok(api.request('POST', `/v1/purchase-orders/${poNumber}/acknowledgement`, { key: supplier, body: { type: 'accept' } }));
    await ok(api.request('POST', `/v1/purchase-orders/${poNumber}/receipts`, { key: 'warehouse', body: { receiptNumber: `GR-${poNumber}`, lines: [{ lineNo: 1, quantityReceived: '10' }, { lineNo: 2, quantityReceived: '50' }] } }), 201);
    const total = (Number(unitPrice) * 10 + 20).toFixed(2);
    await ok(
      api.request('POST', `/v1/purchase-orders/${poNumber}/invoices`, {
        key: supplier,
        body: { invoiceNumber: `INV-${poNumber}`, invoiceDate: TODAY, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice }, { lineNo: 2, quantity: '50', unitPrice: '0.40' }], total },
      }),
      201,
    );
  }

  async function po(poNumber: string): Promise<any> {
    return (await ok(api.request('GET', `/v1/purchase-orders/${poNumber}`, { key: 'operator' }))).body;
  }

  async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean, what: string): Promise<T> {
    let last: T | undefined;
    for (let attempt = 0; attempt < 240; attempt++) {
      last = await read();
      if (until(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(`${what}: last seen ${JSON.stringify(last).slice(0, 400)}`);
  }

  before(async () => {
    browser = await launchChromium();
    const address = await testTemporalAddress();
    const namespace = await createTestNamespace(address, 'p2p-console');
    database = await createTestDatabase();
    const config = stackConfig(database, address, namespace);
    worker = await startWorker(config, { connection: await NativeConnection.connect({ address }), knex: database.knex, logger: winston.createLogger({ silent: true }) });
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    api = await startApi({ client, database, env: { TEMPORAL_NAMESPACE: namespace, TEMPORAL_UI_URL: 'http://temporal-ui.example:8080' } });
    for (const supplierId of ['ACME', 'GLOBEX']) {
      await ok(api.request('PUT', `/v1/suppliers/${supplierId}`, { key: 'procurement', body: { name: `${supplierId} Ltd`, currency: 'USD', paymentTerms: { netDays: 0 } } }));
    }
    await invoiced('PO-CON-1', 'acme', 'ACME', '12.00');
    await invoiced('PO-CON-2', 'globex', 'GLOBEX', '15.00');
    await invoiced('PO-CON-5', 'acme', 'ACME', '10.90');
    await issue('PO-CON-3', 'ACME');
    await issue('PO-CON-G', 'GLOBEX');
    await issue('PO-CON-4', 'ACME');
    await issue('PO-CON-6', 'ACME');
    await ok(api.request('POST', '/v1/purchase-orders/PO-CON-4/acknowledgement', { key: 'acme', body: { type: 'accept_with_changes', reason: 'Bolts on backorder until January', lines: [{ lineNo: 1, status: 'changed', quantity: '8', promisedDate: '2027-01-15' }, { lineNo: 2, status: 'accepted' }] } }));
  });

  after(async () => {
    await browser?.close();
    await api?.close();
    await worker?.shutdown();
    await client?.connection.close();
    await database?.drop();
  });

  it('signs each role in with its API key and shows what that role works on; a wrong key is refused; a page outside the role is a 403 in the page', async () => {
    const expectations: [KeyName, string, string][] = [
      ['finance', '/console/exceptions', 'Finance'],
      ['operator', '/console/exceptions', 'Operator'],
      ['procurement', '/console/purchase-orders', 'Procurement'],
      ['acme', '/console/purchase-orders', 'Supplier ACME'],
    ];
    for (const [key, home, label] of expectations) {
      const { context, page } = await signedIn(browser, api.baseUrl, key);
      assert.equal(new URL(page.url()).pathname, home, key);
      assert.equal(await page.locator('.who-role').textContent(), label);
      if (key === 'procurement' || key === 'acme') {
        const response = await page.goto('/console/exceptions');
        assert.equal(response?.status(), 403);
        assert.match((await page.locator('main').textContent()) ?? '', /not available to the (procurement|supplier) role/);
        assert.equal(await page.getByRole('link', { name: 'Exceptions' }).count(), 0, 'no link to a page outside the role');
      }
      await context.close();
    }

    const context = await browser.newContext({ baseURL: api.baseUrl });
    const page = await context.newPage();
    await page.goto('/console/exceptions');
    assert.equal(new URL(page.url()).pathname, '/console/sign-in', 'signed out, a page sends you to sign in');
    await page.getByLabel('API key').fill('not-a-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#api-key-error');
    assert.equal(await page.locator('#api-key-error').textContent(), 'This API key is not valid.');
    assert.equal((await context.cookies()).some((cookie) => cookie.name === 'p2p_console'), false);
    await context.close();
  });

  it('finance sees every open exception, filters and sorts them, approves one with a reason: it leaves the list, and the PO gets paid; the same form again changes nothing', async () => {
    const { context, page } = await signedIn(browser, api.baseUrl, 'finance');
    const rows = () => page.locator('#exception-results tbody tr');
    assert.deepEqual(await rows().locator('th').allTextContents(), ['PO-CON-1', 'PO-CON-2', 'PO-CON-5']);
    await screenshot(page, 'exceptions');

    await page.getByRole('link', { name: /Amount/ }).click();
    await page.waitForURL(/sort=-amount/);
    assert.deepEqual(await rows().locator('th').allTextContents(), ['PO-CON-2', 'PO-CON-1', 'PO-CON-5']);
    await page.getByLabel('Supplier').fill('ACME');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/supplierId=ACME/);
    assert.deepEqual(await rows().locator('th').allTextContents(), ['PO-CON-1', 'PO-CON-5']);
    await page.goto('/console/exceptions');

    const row = page.locator('tr', { has: page.getByRole('link', { name: 'PO-CON-1' }) });
    // Without a reason: the error is next to the field and nothing is decided.
    await row.getByRole('button', { name: 'Approve' }).click();
    await row.locator('.field-error').waitFor();
    assert.match((await row.locator('.field-error').textContent()) ?? '', /required|expected string/i);
    assert.equal((await po('PO-CON-1')).invoices[0].status, 'exception');

    const formFields = (await row.locator('form').evaluate((form: any) => Object.fromEntries([...new (globalThis as any).FormData(form)]))) as Record<string, string>;
    await row.getByLabel('Reason', { exact: true }).fill('Price rise agreed with ACME on 28 Nov');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('link', { name: 'PO-CON-1' }).waitFor({ state: 'detached' });
    assert.match((await page.locator('#notice').textContent()) ?? '', /INV-PO-CON-1 on PO-CON-1: Invoice approved/);
    assert.deepEqual(await rows().locator('th').allTextContents(), ['PO-CON-2', 'PO-CON-5']);
    await page.reload();
    assert.deepEqual(await rows().locator('th').allTextContents(), ['PO-CON-2', 'PO-CON-5'], 'gone for good, not just from the page');

    const paid = await eventually(() => po('PO-CON-1'), (view) => view.invoices[0].status === 'paid', 'PO-CON-1 paid');
    assert.equal(paid.invoices[0].resolution.reason, 'Price rise agreed with ACME on 28 Nov');

    // The same form posted again (a double click, a resubmitted page) joins the first Update.
    const again = await page.request.post('/console/exceptions/decision', { form: { ...formFields, reason: 'Price rise agreed with ACME on 28 Nov', action: 'approve' }, maxRedirects: 0 });
    assert.ok([303, 200].includes(again.status()), `${again.status()} ${await again.text()}`);
    const after = await po('PO-CON-1');
    assert.equal(after.timeline.filter((entry: any) => entry.type === 'invoice.resolved').length, 1);

    // The bank's word on the payment, from the payment status page: cleared, the PO closes.
    await page.getByRole('link', { name: 'Payments' }).click();
    const payment = page.locator('tr', { has: page.getByRole('link', { name: 'PO-CON-1' }) });
    await payment.getByLabel('Payment status').selectOption('cleared');
    await payment.getByLabel('Bank reference').fill('BANK-2026-1202-77');
    await payment.getByRole('button', { name: 'Report' }).click();
    await page.getByText('Payment status recorded.').waitFor();
    const cleared = await eventually(() => po('PO-CON-1'), (view) => view.status === 'closed', 'PO-CON-1 closed');
    assert.equal(cleared.invoices[0].payment.reference, 'BANK-2026-1202-77');

    await page.goto('/console/purchase-orders/PO-CON-1');
    await page.locator('#journal').waitFor();
    assert.ok(await page.locator('#journal').getByText('BANK').count() > 0, 'the payment is in the journal');
    assert.equal(await page.getByRole('link', { name: 'Open run in Temporal Web UI' }).count(), 0, 'finance gets no link to Temporal');
    await context.close();
  });

  it('a supplier acknowledges an order, enters an ASN and an invoice; bad input shows next to its field and changes nothing', async () => {
    const { context, page } = await signedIn(browser, api.baseUrl, 'acme');
    await page.getByRole('link', { name: 'PO-CON-3' }).click();
    await page.waitForURL(/PO-CON-3$/);
    await screenshot(page, 'supplier-acknowledge');
    await page.getByLabel('Reject').check();
    await page.getByRole('button', { name: 'Send acknowledgement' }).click();
    assert.match((await page.locator('#acknowledge-reason-error').textContent()) ?? '', /a rejection needs a reason/);
    assert.equal((await po('PO-CON-3')).awaitingAcknowledgement, true, 'nothing changed');

    await page.getByLabel('Accept as ordered').check();
    await page.getByRole('button', { name: 'Send acknowledgement' }).click();
    await page.getByText('Acknowledgement sent.').waitFor();
    assert.equal((await po('PO-CON-3')).status, 'acknowledged');

    // Shipping more than is open: the workflow refuses, the form says why, nothing is recorded.
    await page.getByLabel('ASN number').fill('ASN#3');
    await page.getByLabel('Ship date').fill(TODAY);
    await page.getByLabel('Line 1 quantity shipped').fill('11');
    await page.getByRole('button', { name: 'Send ASN' }).click();
    assert.equal(await page.locator('#asn-asnNumber-error').textContent(), 'letters, digits, space, and . _ / - only');
    assert.equal(await page.getByLabel('Line 1 quantity shipped').inputValue(), '11', 'what was typed is kept');
    await page.getByLabel('ASN number').fill('ASN-CON-3');
    await page.getByRole('button', { name: 'Send ASN' }).click();
    assert.match((await page.locator('.form-error').textContent()) ?? '', /exceeds the open quantity/);
    assert.equal((await po('PO-CON-3')).asns.length, 0, 'nothing recorded');

    await page.getByLabel('Line 1 quantity shipped').fill('10');
    await page.getByLabel('Carrier').fill('DHL Freight');
    await page.getByRole('button', { name: 'Send ASN' }).click();
    await page.getByText('Advance ship notice sent.').waitFor();
    const shipped = await po('PO-CON-3');
    assert.equal(shipped.asns.length, 1);
    assert.equal(shipped.asns[0].asnNumber, 'ASN-CON-3');
    assert.equal(shipped.lines[0].shippedQuantity, '10');

    // The invoice, before the goods arrive: recorded, and held until they do.
    await page.getByLabel('Invoice number').fill('INV-CON-3');
    await page.getByLabel('Invoice date').fill(TODAY);
    await page.getByLabel('Line 1 quantity invoiced').fill('10');
    await page.getByLabel('Line 1 unit price').fill('10.00');
    await page.getByLabel('Total (USD)').fill('100.00');
    await page.getByRole('button', { name: 'Send invoice' }).click();
    await page.getByText('Invoice sent.').waitFor();
    const invoicedPo = await po('PO-CON-3');
    assert.deepEqual(invoicedPo.invoices.map((invoice: any) => [invoice.invoiceNumber, invoice.status]), [['INV-CON-3', 'pending_receipt']]);

    // Accepting with a line changed: the buyer has to decide on it.
    await page.goto('/console/purchase-orders/PO-CON-6');
    await page.getByLabel('Accept with line changes').check();
    await page.getByLabel('Line 1 status').selectOption('changed');
    await page.getByLabel('Line 1 quantity', { exact: true }).fill('7');
    await page.getByLabel('Line 1 promised date').fill('2027-01-20');
    await page.getByRole('button', { name: 'Send acknowledgement' }).click();
    await page.getByText('Acknowledgement sent.').waitFor();
    const proposed = await po('PO-CON-6');
    assert.equal(proposed.status, 'changes_pending');
    assert.deepEqual(proposed.pendingChanges.lines.map((line: any) => [line.lineNo, line.status, line.quantity ?? null]), [[1, 'changed', '7'], [2, 'accepted', null]]);

    // The supplier's held invoice says why, without the buyer's tolerances.
    await page.goto('/console/purchase-orders/PO-CON-5');
    const held = (await page.locator('#documents').textContent()) ?? '';
    assert.match(held, /invoiced unit price 10.90 differs from the agreed 10.00/);
    assert.doesNotMatch(held, /tolerance/i);
    await screenshot(page, 'supplier-held-invoice');
    await context.close();
  });

  it('a supplier never reaches another supplier\'s PO, by link, by URL or by form', async () => {
    const { context, page } = await signedIn(browser, api.baseUrl, 'acme');
    await page.goto('/console/purchase-orders?show=all');
    const listed = await page.locator('tbody th a').allTextContents();
    assert.ok(listed.includes('PO-CON-3'));
    assert.ok(!listed.some((poNumber) => poNumber === 'PO-CON-G' || poNumber === 'PO-CON-2'), listed.join(', '));

    const foreign = await page.goto('/console/purchase-orders/PO-CON-G');
    assert.equal(foreign?.status(), 404);
    const unknown = await page.goto('/console/purchase-orders/PO-NEVER');
    assert.equal(unknown?.status(), 404);
    assert.equal(await page.locator('main p').first().textContent(), 'No purchase order PO-NEVER.');

    await page.goto('/console/purchase-orders');
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const posted = await page.request.post('/console/purchase-orders/PO-CON-G/acknowledgement', { form: { _csrf: csrf, idempotencyKey: 'console-foreign-ack', type: 'accept' }, maxRedirects: 0 });
    assert.equal(posted.status(), 404);
    assert.equal((await po('PO-CON-G')).awaitingAcknowledgement, true, 'GLOBEX\'s PO untouched');
    await context.close();
  });

  it('a post without the session\'s CSRF token is refused and changes nothing', async () => {
    const { context, page } = await signedIn(browser, api.baseUrl, 'finance');
    const form = { poNumber: 'PO-CON-2', exceptionId: (await po('PO-CON-2')).exceptions[0].id, invoiceNumber: 'INV-PO-CON-2', idempotencyKey: 'console-no-csrf', reason: 'forged', action: 'approve' };
    const missing = await page.request.post('/console/exceptions/decision', { form, maxRedirects: 0 });
    assert.equal(missing.status(), 403);
    assert.match(await missing.text(), /security token is missing or out of date/);
    const wrong = await page.request.post('/console/exceptions/decision', { form: { ...form, _csrf: 'x'.repeat(43) }, maxRedirects: 0 });
    assert.equal(wrong.status(), 403);
    assert.equal((await po('PO-CON-2')).invoices[0].status, 'exception', 'nothing decided');

    // A sign-in form posted from elsewhere (no token of its own) starts no session.
    const fresh = await browser.newContext({ baseURL: api.baseUrl });
    const forged = await fresh.request.post('/console/sign-in', { form: { apiKey: KEYS.finance }, maxRedirects: 0 });
    assert.equal(forged.status(), 403);
    assert.equal((await fresh.cookies()).some((cookie) => cookie.name === 'p2p_console'), false);
    await fresh.close();
    await context.close();
  });

  it('the buyer sees proposed changes, the journal and the timeline; the operator gets the link to the run in the Temporal Web UI', async () => {
    const buyer = await signedIn(browser, api.baseUrl, 'procurement');
    await screenshot(buyer.page, 'purchase-orders');
    await buyer.page.goto('/console/purchase-orders/PO-CON-4');
    await buyer.page.locator('#pending-changes').waitFor();
    await screenshot(buyer.page, 'buyer-pending-changes');
    await buyer.page.getByLabel('Reason', { exact: true }).fill('January is fine');
    await buyer.page.getByRole('button', { name: 'Approve changes' }).click();
    await buyer.page.getByText('Decision on the proposed changes recorded.').waitFor();
    assert.equal((await po('PO-CON-4')).lines[0].confirmedQuantity, '8');
    await buyer.page.goto('/console/purchase-orders/PO-CON-1');
    await buyer.page.locator('#journal').waitFor();
    await screenshot(buyer.page, 'purchase-order');
    await buyer.context.close();

    const operator = await signedIn(browser, api.baseUrl, 'operator');
    await operator.page.goto('/console/purchase-orders/PO-CON-2');
    const link = await operator.page.getByRole('link', { name: 'Open run in Temporal Web UI' }).getAttribute('href');
    assert.match(link ?? '', /^http:\/\/temporal-ui\.example:8080\/namespaces\/p2p-console[^/]*\/workflows\/[^/]*PO-CON-2$/);
    assert.equal(await operator.page.getByRole('button', { name: 'Approve' }).count(), 0);
    await operator.page.goto('/console/kpis');
    await operator.page.locator('svg.chart').first().waitFor();
    await screenshot(operator.page, 'kpis');
    await operator.page.goto('/console/payments');
    await screenshot(operator.page, 'payments');
    await operator.context.close();
  });

  it('sign-out ends the session: the old cookie opens nothing', async () => {
    const { context, page } = await signedIn(browser, api.baseUrl, 'finance');
    const cookie = (await context.cookies()).find((c) => c.name === 'p2p_console')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/console');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in$/);
    await screenshot(page, 'sign-in');
    await page.goto('/console/exceptions');
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');

    const replay = await browser.newContext({ baseURL: api.baseUrl });
    await replay.addCookies([{ ...cookie }]);
    const replayPage = await replay.newPage();
    await replayPage.goto('/console/exceptions');
    assert.equal(new URL(replayPage.url()).pathname, '/console/sign-in', 'the stolen cookie of a signed-out session is worthless');
    await replay.close();
    await context.close();
  });

  it('has no serious accessibility violations on the main pages (axe-core)', async () => {
    const pages: [KeyName, string][] = [
      ['finance', '/console/exceptions'],
      ['finance', '/console/payments'],
      ['finance', '/console/kpis'],
      ['procurement', '/console/purchase-orders'],
      ['procurement', '/console/purchase-orders/PO-CON-1'],
      ['acme', '/console/purchase-orders/PO-CON-5'],
    ];
    const anonymous = await browser.newContext({ baseURL: api.baseUrl });
    const signInPage: Page = await anonymous.newPage();
    await signInPage.goto('/console/sign-in');
    assert.deepEqual(await seriousViolations(signInPage), [], '/console/sign-in');
    await anonymous.close();
    for (const [key, path] of pages) {
      const { context, page } = await signedIn(browser, api.baseUrl, key);
      await page.goto(path);
      assert.deepEqual(await seriousViolations(page), [], path);
      await context.close();
    }
  });
});

/**
 * Continue-as-new must never drop a command that is being handled. The hand-over waits for the
 * supplier notifications the run started; a command that arrives during that wait is handled in
 * this run before it hands over, not abandoned half-way (its AP posting done, its answer lost).
 * Gated portal and AP adapters make the timing deterministic; real PostgreSQL, time-skipping server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccountsPayablePort, SupplierPortalPort } from '../../activities/ports';
import { PurchaseOrderDriver, timeSkippingStack, today } from '../helpers/harness';

const PO_NUMBER = 'PO-CAN-DRAIN';

function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** The supplier's portal is slow to take the "PO issued" message. */
const portalAnswers = gate();
/** AP is slow to register the invoice; `apCalled` opens when the workflow is waiting on it. */
const apAnswers = gate();
const apCalled = gate();

const portal: SupplierPortalPort = {
  async notify(notification) {
    if (notification.poNumber === PO_NUMBER && notification.type === 'po.issued') await portalAnswers.wait;
    return { delivered: false };
  },
};
const ap: AccountsPayablePort = {
  async submitApprovedInvoice() {
    apCalled.open();
    await apAnswers.wait;
    return { apReference: 'AP-1' };
  },
  async executePayment(payment) {
    return { paymentId: `BANK-${payment.attempt}` };
  },
};

const stack = timeSkippingStack(
  async (harness) => PurchaseOrderDriver.supplier(harness, 'NET0', { paymentTerms: { netDays: 0 } }),
  () => ({ portal, ap }),
);

test('an invoice submitted while the PO hands over to a new run is matched, posted and paid, not dropped', async () => {
  await stack.harness.withWorker(async () => {
    const order = await PurchaseOrderDriver.issue(
      stack.harness,
      { poNumber: PO_NUMBER, supplierId: 'NET0', currency: 'USD', lines: [{ lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' }] },
      { historyThreshold: 10 },
    );
    const firstRun = (await order.handle.describe()).runId;
    await order.acknowledge({ type: 'accept' });
    await order.receive({ receiptNumber: 'GR-CAN-DRAIN', lines: [{ lineNo: 1, quantityReceived: '10' }] });
    // The run is now past its history threshold, waiting for the "PO issued" message to go out.
    const invoiced = order.invoice({ invoiceNumber: 'INV-CAN-DRAIN', invoiceDate: await today(stack.env), currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }], total: '100.00' });
    await apCalled.wait;
    // The portal answers while the invoice is at AP: the run must not hand over yet.
    portalAnswers.open();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    apAnswers.open();
    const outcome = await invoiced;
    assert.equal(outcome.status, 'paid', 'net 0: matched, posted and paid in the same command');
    const state = await order.state();
    assert.equal(state.invoices.length, 1);
    assert.equal(state.invoices[0]!.status, 'paid');
    // Once the command and its notifications are done, the run hands over (the state carried along).
    const deadline = Date.now() + 10_000;
    while ((await order.handle.describe()).runId === firstRun) {
      if (Date.now() > deadline) assert.fail('the PO never continued as new');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await order.state()).invoices[0]!.status, 'paid', 'the new run carries the paid invoice');
  });
});

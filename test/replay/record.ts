/**
 * Records the histories that test/replay/replay.test.ts replays: a happy-path PO of two lines, a
 * PO whose invoice is held for a price variance and approved by finance, and the finance controls
 * in one PO. Run with `npm run record-histories -- <label>`, on purpose, after a patched change:
 * the files are named `<label>-<workflow id>.binpb`, so the histories of earlier versions stay and
 * keep replaying (CONTRIBUTING.md, "Recording workflow histories"). `RECORD_SCENARIOS=` records
 * only the scenarios named.
 */
import fs from 'node:fs';
import { addDays } from '../../workflows/domain/calendar';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { UpdateDefinition } from '@temporalio/common';
import { hashBody } from '../../api/canonical';
import type { Actor, PoView } from '../../workflows/domain/state';
import * as definitions from '../../workflows/purchase-order/definitions';
import { actors, createHarness, PurchaseOrderDriver, today, type Harness } from '../helpers/harness';
import { createTimeSkippingEnv } from '../helpers/temporal';

const DAY = 86_400_000;
const directory = path.join(__dirname, 'histories');

const label = process.argv[2] ?? '';

async function main(): Promise<void> {
  if (!/^[a-z0-9-]+$/.test(label)) throw new Error('Name the recording: npm run record-histories -- <label> (e.g. v3)');
  const env = await createTimeSkippingEnv();
  // Tiers from 1,000: the two original scenarios (121.25) stay below them and record as before.
  const harness = await createHarness(env, { approvalTiers: [{ currency: 'USD', atLeast: '1000', approvals: 1 }] });
  try {
    await PurchaseOrderDriver.supplier(harness, 'ACME', { paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 } });
    fs.mkdirSync(directory, { recursive: true });
    await harness.withWorker(async () => {
      const lines = [
        { lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' },
        { lineNo: 2, sku: 'GADGET-2', quantity: '5', unitPrice: '4.25' },
      ];
      const only = process.env.RECORD_SCENARIOS?.split(',');
      for (const scenario of ['happy-path', 'price-variance'] as const) {
        if (only && !only.includes(scenario)) continue;
        const poNumber = `PO-REPLAY-${scenario.toUpperCase()}`;
        const po = await PurchaseOrderDriver.issue(harness, { poNumber, supplierId: 'ACME', currency: 'USD', lines });
        await po.acknowledge({ type: 'accept' });
        await po.ship({ asnNumber: `ASN-${scenario}`, shipDate: await today(env), lines: [{ lineNo: 1, quantity: '10' }, { lineNo: 2, quantity: '5' }] });
        await po.receive({ receiptNumber: `GR-${scenario}`, lines: [{ lineNo: 1, quantityReceived: '10' }, { lineNo: 2, quantityReceived: '5' }] });
        const price = scenario === 'happy-path' ? '10.00' : '10.30';
        const invoiceNumber = `INV-${scenario}`;
        await po.invoice({
          invoiceNumber,
          invoiceDate: await today(env),
          currency: 'USD',
          lines: [{ lineNo: 1, quantity: '10', unitPrice: price }, { lineNo: 2, quantity: '5', unitPrice: '4.25' }],
          total: scenario === 'happy-path' ? '121.25' : '124.25',
        });
        if (scenario === 'price-variance') await po.resolve(invoiceNumber, { action: 'approve', reason: 'Agreed surcharge' });
        await env.sleep(31 * DAY);
        await po.paymentStatus(invoiceNumber, { status: 'cleared' });
        await po.handle.result();
        await save(po, scenario);
      }
      if (!only || only.includes('finance-controls')) await save(await financeControls(harness, env), 'finance-controls');
    });
  } finally {
    await harness.close();
    await env.teardown();
  }
}

async function save(po: PurchaseOrderDriver, scenario: string): Promise<void> {
  const history = await po.handle.fetchHistory();
  // Binary protobuf: the SDK's JSON helpers trip over duplicate protobufjs copies under npm.
  const file = path.join(directory, `${label}-${po.handle.workflowId.replace(/[^A-Za-z0-9-]/g, '_')}.binpb`);
  const { History } = temporal.api.history.v1;
  fs.writeFileSync(file, History.encode(History.fromObject(history)).finish());
  process.stdout.write(`${scenario}: ${history.events?.length} history events → ${path.relative(process.cwd(), file)}\n`);
}

/**
 * The finance controls in one PO: approval above a tier, a return before invoicing with a
 * replacement, a disputed invoice replaced by a corrected one, a payment hold that outlasts the
 * discount date, then clearing and close.
 */
async function financeControls(harness: Harness, env: Awaited<ReturnType<typeof createTimeSkippingEnv>>): Promise<PurchaseOrderDriver> {
  const send = <T>(po: PurchaseOrderDriver, update: UpdateDefinition<definitions.CommandAck, [any]>, actor: Actor, body: T, extra: Record<string, unknown> = {}): Promise<PoView> =>
    po.update(update, { actor, body, bodyHash: hashBody(body), ...extra } as never);
  const po = await PurchaseOrderDriver.issue(harness, {
    poNumber: 'PO-REPLAY-FINANCE-CONTROLS',
    supplierId: 'ACME',
    currency: 'USD',
    lines: [
      { lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '100.00' },
      { lineNo: 2, sku: 'GADGET-2', quantity: '5', unitPrice: '42.00' },
    ],
  });
  await send(po, definitions.decideApproval, { role: 'approver', id: 'approver#replay' }, { decision: 'approve', reason: 'Budgeted' });
  await po.acknowledge({ type: 'accept' });
  await po.receive({ receiptNumber: 'GR-FC-1', lines: [{ lineNo: 1, quantityReceived: '10' }, { lineNo: 2, quantityReceived: '5' }] });
  await send(po, definitions.returnGoods, actors.warehouse, { rmaNumber: 'RMA-FC', reason: 'Two dented', location: 'MAIN', replacement: true, lines: [{ lineNo: 1, quantity: '2' }] });
  await po.receive({ receiptNumber: 'GR-FC-2', lines: [{ lineNo: 1, quantityReceived: '2' }] });
  const invoiceDate = await today(env);
  await po.invoice({ invoiceNumber: 'INV-FC-1', invoiceDate, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '100.00' }, { lineNo: 2, quantity: '5', unitPrice: '43.50' }], total: '1217.50' });
  const disputed = await send(po, definitions.openDispute, actors.finance, { message: 'Agreed price of GADGET-2 is 42.00' }, { invoiceNumber: 'INV-FC-1' });
  const corrected = { invoiceNumber: 'INV-FC-2', invoiceDate, currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '100.00' }, { lineNo: 2, quantity: '5', unitPrice: '42.00' }], freight: '0', tax: '0', total: '1210.00' };
  await send(po, definitions.replyToDispute, actors.supplier('ACME'), { message: 'Corrected', correctedInvoice: corrected }, { invoiceNumber: 'INV-FC-1', disputeId: disputed.disputes[0]!.id, documentHash: hashBody(corrected) });
  await send(po, definitions.holdInvoicePayment, actors.finance, { reason: 'Quality audit', releaseOn: addDays(invoiceDate, 12) }, { invoiceNumber: 'INV-FC-2' });
  await env.sleep(13 * DAY);
  await env.sleep(20 * DAY);
  await po.paymentStatus('INV-FC-2', { status: 'cleared' });
  await po.handle.result();
  return po;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

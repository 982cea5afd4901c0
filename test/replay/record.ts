/**
 * Records the histories that test/replay/replay.test.ts replays: a happy-path PO of two lines and
 * a PO whose invoice is held for a price variance and approved by finance. Run with
 * `npm run record-histories -- <label>`, on purpose, after a patched change: the files are named
 * `<label>-<workflow id>.binpb`, so the histories of earlier versions stay and keep replaying
 * (CONTRIBUTING.md, "Changing workflow code").
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { createHarness, PurchaseOrderDriver, today } from '../helpers/harness';
import { createTimeSkippingEnv } from '../helpers/temporal';

const DAY = 86_400_000;
const directory = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const label = process.argv[2];
  if (!label || !/^[a-z0-9-]+$/.test(label)) throw new Error('Name the recording: npm run record-histories -- <label> (e.g. v3)');
  const env = await createTimeSkippingEnv();
  const harness = await createHarness(env);
  try {
    await PurchaseOrderDriver.supplier(harness, 'ACME', { paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 } });
    fs.mkdirSync(directory, { recursive: true });
    await harness.withWorker(async () => {
      const lines = [
        { lineNo: 1, sku: 'WIDGET-1', quantity: '10', unitPrice: '10.00' },
        { lineNo: 2, sku: 'GADGET-2', quantity: '5', unitPrice: '4.25' },
      ];
      for (const scenario of ['happy-path', 'price-variance'] as const) {
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
        const history = await po.handle.fetchHistory();
        // Binary protobuf: the SDK's JSON helpers trip over duplicate protobufjs copies under npm.
        const file = path.join(directory, `${label}-${po.handle.workflowId.replace(/[^A-Za-z0-9-]/g, '_')}.binpb`);
        const { History } = temporal.api.history.v1;
        fs.writeFileSync(file, History.encode(History.fromObject(history)).finish());
        process.stdout.write(`${scenario}: ${history.events?.length} history events → ${path.relative(process.cwd(), file)}\n`);
      }
    });
  } finally {
    await harness.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

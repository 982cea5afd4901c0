/**
 * The console's PO page shows finance's payment holds: the invoice's hold with its reason and
 * release date, and the supplier-wide hold above the summary (issue 13: holds are visible in the
 * console), rendered from the PO state as the workflow folds it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { render } from 'preact-render-to-string';
import { PurchaseOrderPage } from '../../api/console/views/purchase-order';
import { view } from '../../workflows/domain/lifecycle/views';
import { finance } from './fixtures';
import { Sim } from './finance-sim';

function page(sim: Sim): string {
  const viewer = { actor: finance, csrfToken: 'token', nav: [] };
  return render(h(PurchaseOrderPage, { viewer, po: view(sim.state), keys: { acknowledgement: 'a', changeDecision: 'b' } }));
}

describe('payment holds in the console', () => {
  it('shows an invoice on hold with its reason and release date, and nothing once released', () => {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }] });
    sim.acknowledge();
    sim.receive([{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }]);
    const invoiceNumber = sim.invoice([[1, '10', '10.00']]);
    assert.doesNotMatch(page(sim), /On hold/);
    sim.holdInvoice(invoiceNumber, '2026-12-20');
    assert.match(page(sim), /On hold: <span class="hold-note">query, until 2026-12-20<\/span>/);
    sim.releaseInvoice(invoiceNumber);
    assert.doesNotMatch(page(sim), /On hold/);
  });

  it('shows a supplier-wide hold above the PO summary', () => {
    const sim = new Sim({ lines: [{ lineNo: 1, quantity: '10', unitPrice: '10.00' }] });
    sim.holdSupplier('SH-1');
    assert.match(page(sim), /Payments to ACME are on hold: <span class="hold-note">bank check, until released<\/span>/);
  });
});

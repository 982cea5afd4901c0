/** Finance's payment status page: executed payments waiting for the bank's word, and reporting it (sent, cleared, failed with a reference). */
import type { PaymentWorkItem } from '../../../workflows/domain/schemas/work-queue';
import type { FormState } from '../forms';
import { Badge, CommandFields, DateTime, Field, FormError, Money, PageHeader, SelectField, Notice } from './components';
import { Layout } from './layout';
import type { Viewer } from './layout';

export const paymentFormId = (item: Pick<PaymentWorkItem, 'poNumber' | 'invoiceNumber'>) => `pay-${item.poNumber}-${item.invoiceNumber}`.replace(/[^A-Za-z0-9_-]/g, '-');

export function PaymentsPage({ viewer, items, canReport, keyFor, state, notice }: { viewer: Viewer; items: PaymentWorkItem[]; canReport: boolean; keyFor: (item: PaymentWorkItem) => string; state?: FormState | undefined; notice?: string | undefined }) {
  return (
    <Layout title="Payments" viewer={viewer} current="/console/payments">
      <PageHeader title="Payment status" />
      <Notice text={notice} />
      {items.length === 0 ? (
        <div class="empty">
          <p>No payments have run yet.</p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">PO</th>
                <th scope="col">Invoice</th>
                <th scope="col">Supplier</th>
                <th scope="col" class="numeric">Amount</th>
                <th scope="col">Status</th>
                <th scope="col">Executed</th>
                <th scope="col">Reference</th>
                {canReport && <th scope="col">Report</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((item) => {
                const form = paymentFormId(item);
                const open = item.status === 'executed' || item.status === 'sent';
                return (
                  <tr id={form}>
                    <th scope="row">
                      <a href={`/console/purchase-orders/${encodeURIComponent(item.poNumber)}`}>{item.poNumber}</a>
                    </th>
                    <td>{item.invoiceNumber}</td>
                    <td>{item.supplierId}</td>
                    <td class="numeric">
                      <Money amount={item.amount} currency={item.currency} />
                    </td>
                    <td>
                      <Badge status={item.status} />
                      {item.attempt > 1 && <span class="muted"> attempt {item.attempt}</span>}
                    </td>
                    <td>
                      <DateTime at={item.executedAt} />
                    </td>
                    <td>{item.reference ?? item.paymentId ?? '—'}</td>
                    {canReport && (
                      <td>
                        {open ? (
                          <form method="post" action="/console/payments/status" class="inline-form">
                            <CommandFields csrfToken={viewer.csrfToken} idempotencyKey={keyFor(item)} />
                            <input type="hidden" name="poNumber" value={item.poNumber} />
                            <input type="hidden" name="invoiceNumber" value={item.invoiceNumber} />
                            <SelectField form={form} name="status" label="Payment status" options={[['sent', 'Sent'], ['cleared', 'Cleared'], ['failed', 'Failed']]} state={state} />
                            <Field form={form} name="reference" label="Bank reference" state={state} size="small" />
                            <button type="submit" class="button">
                              Report
                            </button>
                            <FormError form={form} state={state} />
                          </form>
                        ) : (
                          <span class="muted">Done</span>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

/** The buyers' (and a supplier's own) PO list: business status, supplier, total, open quantity; "open" hides closed and cancelled. */
import type { PurchaseOrderWorkItem } from '../../../workflows/domain/schemas/work-queue';
import { Badge, DateTime, Money, PageHeader } from './components';
import { Layout } from './layout';
import type { Viewer } from './layout';

export function PurchaseOrdersPage({ viewer, items, nextCursor, open, cursor, showSupplier }: { viewer: Viewer; items: PurchaseOrderWorkItem[]; nextCursor: string | null; open: boolean; cursor?: string | undefined; showSupplier: boolean }) {
  const link = (changes: { open?: boolean; cursor?: string | undefined }) => {
    const params = new URLSearchParams();
    if (!(changes.open ?? open)) params.set('show', 'all');
    if (changes.cursor) params.set('cursor', changes.cursor);
    const text = params.toString();
    return text ? `/console/purchase-orders?${text}` : '/console/purchase-orders';
  };
  return (
    <Layout title="Purchase orders" viewer={viewer} current="/console/purchase-orders">
      <PageHeader title="Purchase orders">
        <nav class="segmented" aria-label="Which purchase orders">
          <a href={link({ open: true })} aria-current={open ? 'true' : undefined}>
            Open
          </a>
          <a href={link({ open: false })} aria-current={open ? undefined : 'true'}>
            All
          </a>
        </nav>
      </PageHeader>
      {items.length === 0 ? (
        <div class="empty">
          <p>No {open ? 'open ' : ''}purchase orders.</p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="data">
            <caption class="visually-hidden">{open ? 'Open purchase orders' : 'All purchase orders'}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">PO</th>
                <th scope="col">Status</th>
                {showSupplier && <th scope="col">Supplier</th>}
                <th scope="col" class="numeric">
                  Total
                </th>
                <th scope="col" class="numeric">
                  Open quantity
                </th>
                <th scope="col">Issued</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr>
                  <th scope="row">
                    <a href={`/console/purchase-orders/${encodeURIComponent(item.poNumber)}`}>{item.poNumber}</a>
                    {item.hasOpenException && (
                      <span class="badge badge-bad" title="An invoice of this PO is in exception">
                        exception
                      </span>
                    )}
                  </th>
                  <td>
                    <Badge status={item.status} />
                  </td>
                  {showSupplier && <td>{item.supplierId}</td>}
                  <td class="numeric">
                    <Money amount={item.total} currency={item.currency} />
                  </td>
                  <td class="numeric">{item.openQuantity}</td>
                  <td>
                    <DateTime at={item.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && <a href={link({})}>First page</a>}
        {nextCursor && (
          <a href={link({ cursor: nextCursor })} rel="next">
            Next page
          </a>
        )}
      </nav>
    </Layout>
  );
}

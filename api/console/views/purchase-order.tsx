/**
 * One PO: summary, lines, what the viewer's role may do now (a supplier acknowledges, ships and
 * invoices; a buyer decides on proposed changes), its documents, exceptions, journal and timeline.
 */
import type { ComponentChildren } from 'preact';
import type { PostedJournalEntry } from '../../../workflows/domain/schemas/work-queue';
import type { PoView } from '../../../workflows/domain/state';
import type { FormState } from '../forms';
import { Reasons } from './exceptions';
import { Badge, CommandFields, DateTime, Field, FormError, Money, PageHeader, SelectField, Notice } from './components';
import { Layout } from './layout';
import type { Viewer } from './layout';
import { supplierReasons } from './supplier-reasons';

export interface PurchaseOrderPageProps {
  viewer: Viewer;
  po: PoView;
  journal?: PostedJournalEntry[] | undefined;
  /** Operators: the PO's run in the Temporal Web UI. */
  temporalRunUrl?: string | undefined;
  state?: FormState | undefined;
  /** Idempotency keys of this render's forms without a document number. */
  keys: { acknowledgement: string; changeDecision: string };
  notice?: string | undefined;
}

function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-heading`;
  return (
    <section class="panel" aria-labelledby={headingId} id={id}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

const openLines = (po: PoView) => po.lines.filter((line) => !line.cancelled);

/** A supplier's command form: its section, the CSRF and idempotency fields, its error and its button. */
function CommandForm(props: { title: string; id: string; action: string; viewer: Viewer; form: string; state?: FormState | undefined; idempotencyKey?: string; submit: string; children: ComponentChildren }) {
  return (
    <Section title={props.title} id={props.id}>
      <form method="post" action={props.action} class="stack">
        <CommandFields csrfToken={props.viewer.csrfToken} {...(props.idempotencyKey !== undefined ? { idempotencyKey: props.idempotencyKey } : {})} />
        {props.children}
        <FormError form={props.form} state={props.state} />
        <div>
          <button type="submit" class="button button-primary">
            {props.submit}
          </button>
        </div>
      </form>
    </Section>
  );
}

/**
 * One row per open line, headed by the line (number, SKU and its hidden line number); `cells` gives
 * the rest of the row.
 */
function LineEntryTable({ po, caption, columns, cells }: { po: PoView; caption: string; columns: string[]; cells: (line: PoView['lines'][number], index: number) => ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="data compact">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            {columns.map((column) => (
              <th scope="col">{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {openLines(po).map((line, index) => (
            <tr>
              <th scope="row">
                {line.lineNo} · {line.sku}
                <input type="hidden" name={`lines.${index}.lineNo`} value={String(line.lineNo)} />
              </th>
              {cells(line, index)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AcknowledgeForm({ po, viewer, state, idempotencyKey }: { po: PoView; viewer: Viewer; state?: FormState | undefined; idempotencyKey: string }) {
  const form = 'acknowledge';
  return (
    <CommandForm title="Acknowledge this order" id="acknowledge" action={`/console/purchase-orders/${encodeURIComponent(po.poNumber)}/acknowledgement`} viewer={viewer} form={form} state={state} idempotencyKey={idempotencyKey} submit="Send acknowledgement">
      <fieldset class="choices">
        <legend>Answer</legend>
        {(
          [
            ['accept', 'Accept as ordered'],
            ['accept_with_changes', 'Accept with line changes'],
            ['reject', 'Reject'],
          ] as const
        ).map(([value, label]) => (
          <label class="choice">
            <input type="radio" name="type" value={value} checked={(state?.form === form ? state.values.type : 'accept') === value} />
            {label}
          </label>
        ))}
      </fieldset>
      <Field form={form} name="reason" label="Reason" state={state} hint="Required to reject; optional otherwise." size="wide" />
      <LineEntryTable
        po={po}
        caption='Line changes (for "Accept with line changes")'
        columns={['Ordered', 'Line status', 'Quantity', 'Unit price', 'Promised date']}
        cells={(line, index) => (
          <>
            <td>
              {line.quantity} {line.uom} at {line.unitPrice}
            </td>
            <td>
              <SelectField form={form} name={`lines.${index}.status`} label={`Line ${line.lineNo} status`} quietLabel state={state} value="accepted" options={[['accepted', 'Accepted'], ['changed', 'Changed'], ['backordered', 'Backordered'], ['rejected', 'Rejected']]} />
            </td>
            <td>
              <Field form={form} name={`lines.${index}.quantity`} label={`Line ${line.lineNo} quantity`} quietLabel state={state} inputMode="decimal" size="small" />
            </td>
            <td>
              <Field form={form} name={`lines.${index}.unitPrice`} label={`Line ${line.lineNo} unit price`} quietLabel state={state} inputMode="decimal" size="small" />
            </td>
            <td>
              <Field form={form} name={`lines.${index}.promisedDate`} label={`Line ${line.lineNo} promised date`} quietLabel state={state} type="date" size="small" />
            </td>
          </>
        )}
      />
    </CommandForm>
  );
}

function AsnForm({ po, viewer, state }: { po: PoView; viewer: Viewer; state?: FormState | undefined }) {
  const form = 'asn';
  return (
    <CommandForm title="Advance ship notice" id="asn" action={`/console/purchase-orders/${encodeURIComponent(po.poNumber)}/asns`} viewer={viewer} form={form} state={state} submit="Send ASN">
      <div class="field-row">
        <Field form={form} name="asnNumber" label="ASN number" state={state} required />
        <Field form={form} name="shipDate" label="Ship date" type="date" state={state} required />
        <Field form={form} name="expectedDeliveryDate" label="Expected delivery" type="date" state={state} />
        <Field form={form} name="carrier" label="Carrier" state={state} />
        <Field form={form} name="trackingNumber" label="Tracking number" state={state} />
      </div>
      <LineEntryTable
        po={po}
        caption="Quantities shipped (leave a line empty if it is not in this shipment)"
        columns={['Confirmed', 'Shipped so far', 'Quantity shipped']}
        cells={(line, index) => (
          <>
            <td>{line.confirmedQuantity}</td>
            <td>{line.shippedQuantity}</td>
            <td>
              <Field form={form} name={`lines.${index}.quantity`} label={`Line ${line.lineNo} quantity shipped`} quietLabel state={state} inputMode="decimal" size="small" />
            </td>
          </>
        )}
      />
    </CommandForm>
  );
}

function InvoiceForm({ po, viewer, state }: { po: PoView; viewer: Viewer; state?: FormState | undefined }) {
  const form = 'invoice';
  return (
    <CommandForm title="Enter an invoice" id="invoice" action={`/console/purchase-orders/${encodeURIComponent(po.poNumber)}/invoices`} viewer={viewer} form={form} state={state} submit="Send invoice">
      <input type="hidden" name="currency" value={po.currency} />
      <div class="field-row">
        <Field form={form} name="invoiceNumber" label="Invoice number" state={state} required />
        <Field form={form} name="invoiceDate" label="Invoice date" type="date" state={state} required />
        <Field form={form} name="freight" label="Freight" state={state} inputMode="decimal" size="small" />
        <Field form={form} name="tax" label="Tax" state={state} inputMode="decimal" size="small" />
        <Field form={form} name="total" label={`Total (${po.currency})`} state={state} inputMode="decimal" required />
      </div>
      <LineEntryTable
        po={po}
        caption="Invoiced lines (leave a line empty if it is not on this invoice)"
        columns={['Received', 'Agreed price', 'Quantity', 'Unit price']}
        cells={(line, index) => (
          <>
            <td>{line.receivedQuantity}</td>
            <td>{line.agreedUnitPrice}</td>
            <td>
              <Field form={form} name={`lines.${index}.quantity`} label={`Line ${line.lineNo} quantity invoiced`} quietLabel state={state} inputMode="decimal" size="small" />
            </td>
            <td>
              <Field form={form} name={`lines.${index}.unitPrice`} label={`Line ${line.lineNo} unit price`} quietLabel state={state} inputMode="decimal" size="small" />
            </td>
          </>
        )}
      />
    </CommandForm>
  );
}

function PendingChanges({ po, viewer, state, idempotencyKey, canDecide }: { po: PoView; viewer: Viewer; state?: FormState | undefined; idempotencyKey: string; canDecide: boolean }) {
  const pending = po.pendingChanges!;
  const form = 'change-decision';
  return (
    <Section title="Supplier's proposed changes" id="pending-changes">
      <p>
        Proposed by {pending.by.id} on <DateTime at={pending.at} />
        {pending.reason ? `: “${pending.reason}”` : ''}
      </p>
      <table class="data compact">
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Status</th>
            <th scope="col">Quantity</th>
            <th scope="col">Unit price</th>
            <th scope="col">Promised date</th>
          </tr>
        </thead>
        <tbody>
          {(pending.lines ?? []).map((line) => (
            <tr>
              <th scope="row">{line.lineNo}</th>
              <td>
                <Badge status={line.status === 'accepted' ? 'approved' : line.status === 'rejected' ? 'rejected' : 'pending_receipt'}>{line.status}</Badge>
              </td>
              <td>{line.quantity ?? '—'}</td>
              <td>{line.unitPrice ?? '—'}</td>
              <td>{line.promisedDate ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canDecide && (
        <form method="post" action={`/console/purchase-orders/${encodeURIComponent(po.poNumber)}/change-decision`} class="inline-form">
          <CommandFields csrfToken={viewer.csrfToken} idempotencyKey={idempotencyKey} />
          <Field form={form} name="reason" label="Reason" state={state} size="wide" />
          <button type="submit" name="decision" value="approve" class="button button-primary">
            Approve changes
          </button>
          <button type="submit" name="decision" value="reject" class="button button-danger">
            Reject changes
          </button>
          <FormError form={form} state={state} />
        </form>
      )}
    </Section>
  );
}

/** A payment hold: why, and until when (finance's hold on an invoice or on the supplier). */
function HoldNote({ hold }: { hold: NonNullable<PoView['supplierHold']> }) {
  return (
    <span class="hold-note">
      {hold.reason}
      {hold.releaseOn ? `, until ${hold.releaseOn}` : ', until released'}
    </span>
  );
}

function Documents({ po, supplierView }: { po: PoView; supplierView: boolean }) {
  return (
    <Section title="Documents" id="documents">
      <h3>Invoices</h3>
      {po.invoices.length === 0 ? (
        <p class="muted">No invoices yet.</p>
      ) : (
        <table class="data compact">
          <thead>
            <tr>
              <th scope="col">Invoice</th>
              <th scope="col">Date</th>
              <th scope="col" class="numeric">Total</th>
              <th scope="col">Status</th>
              <th scope="col">Payment</th>
              <th scope="col">{supplierView ? 'Why it is held' : 'Match'}</th>
            </tr>
          </thead>
          <tbody>
            {po.invoices.map((invoice) => (
              <tr>
                <th scope="row">{invoice.invoiceNumber}</th>
                <td>{invoice.invoiceDate}</td>
                <td class="numeric">
                  <Money amount={invoice.total} currency={invoice.currency} />
                </td>
                <td>
                  <Badge status={invoice.status} />
                </td>
                <td>
                  {invoice.payment ? (
                    <>
                      <Badge status={invoice.payment.status} /> {invoice.payment.reference ?? invoice.payment.paymentId ?? ''}
                    </>
                  ) : (
                    <span class="muted">—</span>
                  )}
                  {invoice.hold && (
                    <>
                      {' '}On hold: <HoldNote hold={invoice.hold} />
                    </>
                  )}
                </td>
                <td>
                  {supplierView ? (
                    invoice.status === 'exception' ? (
                      <ul class="reasons">
                        {supplierReasons(invoice).map((text) => (
                          <li>{text}</li>
                        ))}
                      </ul>
                    ) : (
                      <span class="muted">—</span>
                    )
                  ) : (
                    <Badge status={invoice.match.status} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="doc-grid">
        <div>
          <h3>Advance ship notices</h3>
          {po.asns.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="doc-list">
              {po.asns.map((asn) => (
                <li>
                  <strong>{asn.asnNumber}</strong> shipped {asn.shipDate}
                  {asn.carrier ? ` by ${asn.carrier}` : ''}
                  {asn.trackingNumber ? ` (${asn.trackingNumber})` : ''}: {asn.lines.map((line) => `line ${line.lineNo} × ${line.quantity}`).join(', ')}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>Goods receipts</h3>
          {po.receipts.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="doc-list">
              {po.receipts.map((receipt) => (
                <li>
                  <strong>{receipt.receiptNumber}</strong> at {receipt.location}, <DateTime at={receipt.receivedAt} />:{' '}
                  {receipt.lines.map((line) => `line ${line.lineNo} × ${line.quantityReceived}${line.quantityRejected !== '0' ? ` (${line.quantityRejected} rejected)` : ''}`).join(', ')}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>Credit memos</h3>
          {po.creditMemos.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="doc-list">
              {po.creditMemos.map((memo) => (
                <li>
                  <strong>{memo.creditMemoNumber}</strong> against {memo.invoiceNumber}: {memo.total}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </Section>
  );
}

function Journal({ entries }: { entries: PostedJournalEntry[] }) {
  return (
    <Section title="Journal" id="journal">
      {entries.length === 0 ? (
        <p class="muted">Nothing posted yet.</p>
      ) : (
        <table class="data compact">
          <thead>
            <tr>
              <th scope="col">Posted</th>
              <th scope="col">Entry</th>
              <th scope="col">Account</th>
              <th scope="col" class="numeric">Debit</th>
              <th scope="col" class="numeric">Credit</th>
              <th scope="col">Memo</th>
            </tr>
          </thead>
          <tbody>
            {entries.flatMap((entry) =>
              entry.lines.map((line, index) => (
                <tr class={index === 0 ? 'entry-start' : undefined}>
                  <td>{index === 0 ? <DateTime at={entry.postedAt} /> : ''}</td>
                  <td>{index === 0 ? entry.description : ''}</td>
                  <td>
                    <span class="code">{line.account}</span>
                  </td>
                  <td class="numeric">{line.debit === '0.00' ? '' : line.debit}</td>
                  <td class="numeric">{line.credit === '0.00' ? '' : line.credit}</td>
                  <td>{line.memo ?? ''}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </Section>
  );
}

export function PurchaseOrderPage({ viewer, po, journal, temporalRunUrl, state, keys, notice }: PurchaseOrderPageProps) {
  const role = viewer.actor.role;
  const supplierView = role === 'supplier';
  const finished = po.status === 'closed' || po.status === 'cancelled';
  // What is still to ship, as the workflow counts it (workflows/domain/lifecycle/validate.ts, validateAsn).
  const toShip = (line: PoView['lines'][number]) => Number(line.confirmedQuantity) - Math.max(Number(line.shippedQuantity) - Number(line.rejectedQuantity), Number(line.receivedQuantity));
  const mayShip = supplierView && !finished && !po.awaitingAcknowledgement && !po.pendingChanges && po.lines.some((line) => !line.cancelled && toShip(line) > 0);
  const mayInvoice = supplierView && !finished && !po.awaitingAcknowledgement && po.acknowledgement !== null && po.lines.some((line) => !line.cancelled && Number(line.invoicedQuantity) < Number(line.confirmedQuantity));
  const openExceptions = po.exceptions.filter((exception) => exception.status === 'open');
  return (
    <Layout title={po.poNumber} viewer={viewer} current="/console/purchase-orders">
      <PageHeader title={`Purchase order ${po.poNumber}`}>
        <Badge status={po.status} />
        {temporalRunUrl && (
          <a class="button button-quiet" href={temporalRunUrl} target="_blank" rel="noopener noreferrer">
            Open run in Temporal Web UI
          </a>
        )}
      </PageHeader>
      <Notice text={notice} />
      {po.supplierHold && (
        <p class="notice">
          Payments to {po.supplierId} are on hold: <HoldNote hold={po.supplierHold} />
        </p>
      )}
      <dl class="summary">
        <div>
          <dt>Supplier</dt>
          <dd>{po.supplierId}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>
            <Money amount={po.total} currency={po.currency} />
          </dd>
        </div>
        <div>
          <dt>Buyer</dt>
          <dd>{po.buyer ?? '—'}</dd>
        </div>
        <div>
          <dt>Issued</dt>
          <dd>
            <DateTime at={po.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Acknowledgement</dt>
          <dd>{po.awaitingAcknowledgement ? 'Awaited' : po.acknowledgement ? po.acknowledgement.type.replace(/_/g, ' ') : '—'}</dd>
        </div>
      </dl>

      {supplierView && po.awaitingAcknowledgement && !finished && <AcknowledgeForm po={po} viewer={viewer} state={state} idempotencyKey={keys.acknowledgement} />}
      {po.pendingChanges && !po.pendingChanges.decision && (
        <PendingChanges po={po} viewer={viewer} state={state} idempotencyKey={keys.changeDecision} canDecide={role === 'procurement'} />
      )}

      <Section title="Lines" id="lines">
        <div class="table-wrap">
          <table class="data compact">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Item</th>
                <th scope="col" class="numeric">Ordered</th>
                <th scope="col" class="numeric">Confirmed</th>
                <th scope="col" class="numeric">Shipped</th>
                <th scope="col" class="numeric">Received</th>
                <th scope="col" class="numeric">Invoiced</th>
                <th scope="col" class="numeric">Paid</th>
                <th scope="col" class="numeric">Unit price</th>
              </tr>
            </thead>
            <tbody>
              {po.lines.map((line) => (
                <tr class={line.cancelled ? 'cancelled' : undefined}>
                  <th scope="row">{line.lineNo}</th>
                  <td>
                    <span class="code">{line.sku}</span> {line.description ?? ''}
                    {line.cancelled && <Badge status="cancelled" />}
                  </td>
                  <td class="numeric">
                    {line.quantity} {line.uom}
                  </td>
                  <td class="numeric">{line.confirmedQuantity}</td>
                  <td class="numeric">{line.shippedQuantity}</td>
                  <td class="numeric">{line.receivedQuantity}</td>
                  <td class="numeric">{line.invoicedQuantity}</td>
                  <td class="numeric">{line.paidQuantity}</td>
                  <td class="numeric">{line.agreedUnitPrice}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>

      {mayShip && <AsnForm po={po} viewer={viewer} state={state} />}
      {mayInvoice && <InvoiceForm po={po} viewer={viewer} state={state} />}

      {!supplierView && openExceptions.length > 0 && (
        <Section title="Open exceptions" id="exceptions">
          <ul class="doc-list">
            {openExceptions.map((exception) => (
              <li>
                <strong>{exception.invoiceNumber ?? exception.code}</strong> opened <DateTime at={exception.openedAt} />
                {exception.escalatedAt && <span class="badge badge-bad">escalated</span>}
                <Reasons item={exception} />
              </li>
            ))}
          </ul>
          {role === 'finance' && <a href="/console/exceptions">Decide in the exceptions queue</a>}
        </Section>
      )}

      <Documents po={po} supplierView={supplierView} />
      {journal && <Journal entries={journal} />}

      <Section title="Timeline" id="timeline">
        <ol class="timeline">
          {[...po.timeline].reverse().map((entry) => (
            <li>
              <DateTime at={entry.at} /> <span class="code">{entry.type}</span> <span class="muted">by {entry.actor}</span>
              {entry.detail && <div class="timeline-detail">{entry.detail}</div>}
            </li>
          ))}
        </ol>
      </Section>
    </Layout>
  );
}

/** Finance's work queue: every open exception, sortable by age and amount, filterable by supplier and reason, decided row by row. */
import type { OpenException, ExceptionSort } from '../../../workflows/domain/schemas/work-queue';
import { ExceptionCode, ReasonCode } from '../../../workflows/domain/schemas';
import type { FormState } from '../forms';
import { CommandFields, Field, FormError, Money, PageHeader, Notice } from './components';
import { Layout } from './layout';
import type { Viewer } from './layout';

export interface ExceptionQuery {
  supplierId?: string | undefined;
  reason?: string | undefined;
  sort: ExceptionSort;
  cursor?: string | undefined;
}

export interface ExceptionsPageProps {
  viewer: Viewer;
  query: ExceptionQuery;
  items: OpenException[];
  nextCursor: string | null;
  /** Finance decides; operators only look. */
  canDecide: boolean;
  /** One idempotency key per row, made when the page was rendered. */
  keyFor: (item: OpenException) => string;
  state?: FormState | undefined;
  queryErrors?: Record<string, string>;
  notice?: string | undefined;
}

export const rowId = (item: Pick<OpenException, 'poNumber' | 'exceptionId'>) => `exc-${item.poNumber}-${item.exceptionId}`.replace(/[^A-Za-z0-9_-]/g, '-');

function href(query: ExceptionQuery, changes: Partial<ExceptionQuery>, base = '/console/exceptions'): string {
  const merged = { ...query, ...changes };
  const params = new URLSearchParams();
  if (merged.supplierId) params.set('supplierId', merged.supplierId);
  if (merged.reason) params.set('reason', merged.reason);
  if (merged.sort !== '-age') params.set('sort', merged.sort);
  if (merged.cursor) params.set('cursor', merged.cursor);
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

function SortHeader({ query, label, ascending, descending }: { query: ExceptionQuery; label: string; ascending: ExceptionSort; descending: ExceptionSort }) {
  const active = query.sort === ascending ? 'ascending' : query.sort === descending ? 'descending' : undefined;
  const next = query.sort === descending ? ascending : descending;
  return (
    <th scope="col" aria-sort={active ?? 'none'} class="numeric">
      <a href={href(query, { sort: next, cursor: undefined })} class="sort-link">
        {label}
        <span class="sort-arrow" aria-hidden="true">
          {active === 'ascending' ? '▲' : active === 'descending' ? '▼' : '↕'}
        </span>
      </a>
    </th>
  );
}

const REASON_OPTIONS: [string, string][] = [['', 'Any reason'], ...[...ReasonCode.options, ExceptionCode.enum.PAYMENT_FAILED].map((code): [string, string] => [code, code.replace(/_/g, ' ').toLowerCase()])];

export function Reasons({ item, showTolerances = true }: { item: Pick<OpenException, 'reasons' | 'code'>; showTolerances?: boolean }) {
  if (item.reasons.length === 0) return <span class="code">{item.code}</span>;
  return (
    <ul class="reasons">
      {item.reasons.map((reason) => (
        <li>
          <span class="code">{reason.code}</span>{' '}
          <span class="reason-figures">
            expected {reason.expected} · actual {reason.actual}
            {showTolerances ? ` · tolerance ${reason.tolerance}` : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function ExceptionRow({ item, canDecide, idempotencyKey, csrfToken, state }: { item: OpenException; canDecide: boolean; idempotencyKey: string; csrfToken: string; state?: FormState | undefined }) {
  const id = rowId(item);
  const poHref = `/console/purchase-orders/${encodeURIComponent(item.poNumber)}`;
  return (
    <tr id={id}>
      <th scope="row">
        <a href={poHref}>{item.poNumber}</a>
      </th>
      <td>{item.supplierId}</td>
      <td class="nowrap">{item.invoiceNumber ?? '—'}</td>
      <td>
        <Reasons item={item} />
      </td>
      <td class="numeric">
        <Money amount={item.amount} currency={item.currency} />
      </td>
      <td class="numeric">
        <span title={item.openedAt}>{item.ageDays === 0 ? 'today' : `${item.ageDays} d`}</span>
        {item.escalatedAt && (
          <span class="badge badge-bad escalated" title={`Escalated ${item.escalatedAt}`}>
            escalated
          </span>
        )}
      </td>
      {canDecide && (
        <td class="decision">
          {item.invoiceNumber ? (
            <form method="post" action="/console/exceptions/decision" hx-post="/console/exceptions/decision" hx-target={`#${id}`} hx-swap="outerHTML" class="decision-form">
              <CommandFields csrfToken={csrfToken} idempotencyKey={idempotencyKey} />
              <input type="hidden" name="poNumber" value={item.poNumber} />
              <input type="hidden" name="exceptionId" value={item.exceptionId} />
              <input type="hidden" name="invoiceNumber" value={item.invoiceNumber} />
              <Field form={id} name="reason" label="Reason" state={state} placeholder="Why" size="wide" />
              <div class="decision-buttons">
                <button type="submit" name="action" value="approve" class="button button-primary">
                  Approve
                </button>
                <button type="submit" name="action" value="reject" class="button button-danger">
                  Reject
                </button>
              </div>
              <FormError form={id} state={state} />
            </form>
          ) : (
            <span class="muted">No invoice to decide</span>
          )}
        </td>
      )}
    </tr>
  );
}

export function ExceptionsPage({ viewer, query, items, nextCursor, canDecide, keyFor, state, queryErrors = {}, notice }: ExceptionsPageProps) {
  return (
    <Layout title="Exceptions" viewer={viewer} current="/console/exceptions">
      <PageHeader title="Open exceptions">
        <a class="button button-quiet" href={href(query, { cursor: undefined }, '/console/exceptions.csv')} download>
          Download CSV
        </a>
      </PageHeader>
      <Notice text={notice} />
      <form method="get" action="/console/exceptions" class="filters" role="search" aria-label="Filter exceptions">
        <div class={`field${queryErrors.supplierId ? ' field-invalid' : ''}`}>
          <label for="filter-supplier">Supplier</label>
          <input id="filter-supplier" name="supplierId" value={query.supplierId ?? ''} placeholder="e.g. ACME" aria-describedby={queryErrors.supplierId ? 'filter-supplier-error' : undefined} />
          {queryErrors.supplierId && (
            <span class="field-error" id="filter-supplier-error">
              {queryErrors.supplierId}
            </span>
          )}
        </div>
        <div class="field">
          <label for="filter-reason">Reason code</label>
          <select id="filter-reason" name="reason">
            {REASON_OPTIONS.map(([value, text]) => (
              <option value={value} selected={value === (query.reason ?? '')}>
                {text}
              </option>
            ))}
          </select>
        </div>
        {query.sort !== '-age' && <input type="hidden" name="sort" value={query.sort} />}
        <div class="filter-actions">
          <button type="submit" class="button">
            Filter
          </button>
          {(query.supplierId || query.reason) && (
            <a href={href({ sort: query.sort }, {})} class="button button-quiet">
              Clear
            </a>
          )}
        </div>
      </form>
      <section id="exception-results" aria-label="Open exceptions">
        {items.length === 0 ? (
          <div class="empty">
            <p>No open exceptions{query.supplierId || query.reason ? ' match these filters' : ''}.</p>
          </div>
        ) : (
          <div class="table-wrap">
            <table class="data">
              <caption class="visually-hidden">Open exceptions, {query.sort.endsWith('age') ? 'by age' : 'by amount'}</caption>
              <thead>
                <tr>
                  <th scope="col">PO</th>
                  <th scope="col">Supplier</th>
                  <th scope="col">Invoice</th>
                  <th scope="col">Reasons</th>
                  <SortHeader query={query} label="Amount" ascending="amount" descending="-amount" />
                  <SortHeader query={query} label="Age" ascending="age" descending="-age" />
                  {canDecide && <th scope="col">Decision</th>}
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <ExceptionRow item={item} canDecide={canDecide} idempotencyKey={keyFor(item)} csrfToken={viewer.csrfToken} state={state} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav class="pager" aria-label="Pages">
          {query.cursor && <a href={href(query, { cursor: undefined })}>First page</a>}
          {nextCursor && (
            <a href={href(query, { cursor: nextCursor })} rel="next">
              Next page
            </a>
          )}
        </nav>
      </section>
    </Layout>
  );
}


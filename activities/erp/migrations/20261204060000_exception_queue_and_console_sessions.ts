import type { Knex } from 'knex';

/**
 * Finance's work queue and the console's sessions (docs/console.md).
 *
 * `po_exceptions`: one row per exception of a PO (open or decided), refreshed from the PO in the
 * transaction of each event, so `GET /v1/exceptions` and `/console/exceptions` page through open
 * exceptions with an index instead of unpacking every PO's snapshot. Existing exceptions are
 * copied from the snapshots once, here.
 *
 * `console_sessions`: a signed-in browser. Only a hash of the session id is stored; the row holds
 * the actor (never the API key), the CSRF token and the expiry, so sessions hold across API
 * instances and sign-out ends them everywhere.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table po_exceptions (
      po_number      text not null references purchase_orders (po_number),
      exception_id   text not null,
      supplier_id    text not null,
      code           text not null,
      invoice_number text,
      status         text not null,
      opened_at      timestamptz not null,
      escalated_at   timestamptz,
      reasons        jsonb not null,
      reason_codes   text[] not null,
      currency       text not null,
      amount         numeric(18,4) not null,
      resolved_at    timestamptz,
      updated_at     timestamptz not null,
      primary key (po_number, exception_id)
    );
    create index po_exceptions_open_by_age on po_exceptions (opened_at, po_number, exception_id) where status = 'open';
    create index po_exceptions_open_by_amount on po_exceptions (amount, po_number, exception_id) where status = 'open';
    create index po_exceptions_open_by_supplier on po_exceptions (supplier_id) where status = 'open';

    insert into po_exceptions (po_number, exception_id, supplier_id, code, invoice_number, status, opened_at, escalated_at,
                               reasons, reason_codes, currency, amount, resolved_at, updated_at)
    select p.po_number, e ->> 'id', p.supplier_id, e ->> 'code', e ->> 'invoiceNumber', e ->> 'status',
           (e ->> 'openedAt')::timestamptz, (e ->> 'escalatedAt')::timestamptz,
           coalesce(e -> 'reasons', '[]'::jsonb),
           array(select distinct r ->> 'code' from jsonb_array_elements(coalesce(e -> 'reasons', '[]'::jsonb)) r where r ->> 'code' is not null),
           p.currency,
           coalesce((select i.total from invoices i
                      where i.po_number = p.po_number and i.invoice_number = e ->> 'invoiceNumber' limit 1), 0),
           (e ->> 'resolvedAt')::timestamptz, p.updated_at
      from purchase_orders p, jsonb_array_elements(coalesce(p.snapshot -> 'exceptions', '[]'::jsonb)) e
     where p.snapshot is not null
    on conflict do nothing;

    create table console_sessions (
      session_hash text primary key,
      actor        jsonb not null,
      csrf_token   text not null,
      created_at   timestamptz not null default now(),
      expires_at   timestamptz not null
    );
    create index console_sessions_expiry on console_sessions (expires_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists console_sessions;
    drop table if exists po_exceptions;
  `);
}

import type { Knex } from 'knex';

/**
 * The finance controls (docs/domain.md, "Payment holds", "Approval tiers", "Returns to vendor",
 * "Disputes"; docs/accounting.md, "Reports"): the pending_approval status, supplier and invoice
 * holds, approval requests, returns and their debit notes, disputes, counted/expected receipt
 * quantities, journal dimensions for the reports, and the indexes that keep the reports to the
 * rows of their period.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table purchase_orders drop constraint if exists purchase_orders_status_check;
    alter table purchase_orders add constraint purchase_orders_status_check
      check (status in ('pending_approval','issued','changes_pending','acknowledged','in_transit','partially_received','received','closed','cancelled'));

    -- The supplier's hold as it stands (the payment activity checks it), and every hold ever placed.
    alter table suppliers add column payment_hold jsonb;
    create table supplier_payment_holds (
      id          bigserial primary key,
      hold_id     text not null unique,
      supplier_id text not null references suppliers (supplier_id),
      reason      text not null,
      release_on  date,
      placed_at   timestamptz not null,
      placed_by   jsonb not null,
      released_at timestamptz,
      released_by jsonb
    );
    create unique index supplier_payment_holds_one_active on supplier_payment_holds (supplier_id) where released_at is null;

    alter table invoices
      add column hold_reason text,
      add column hold_release_on date,
      add column held_since timestamptz,
      add column held_by_supplier boolean not null default false;
    create index invoices_held on invoices (held_since) where held_since is not null;

    create table approval_requests (
      po_number          text not null references purchase_orders (po_number),
      request_id         text not null,
      subject            text not null check (subject in ('issue','change_order')),
      status             text not null check (status in ('pending','approved','rejected')),
      currency           text not null,
      total              numeric(18,4) not null,
      required_approvals integer not null,
      approvals          integer not null,
      requested_at       timestamptz not null,
      requested_by       jsonb not null,
      decisions          jsonb not null,
      escalated_at       timestamptz,
      decided_at         timestamptz,
      primary key (po_number, request_id)
    );
    create index approval_requests_pending on approval_requests (requested_at) where status = 'pending';

    create table goods_returns (
      po_number   text not null references purchase_orders (po_number),
      rma_number  text not null,
      reason      text not null,
      location    text not null,
      replacement boolean not null,
      body_hash   text not null,
      returned_at timestamptz not null,
      returned_by jsonb not null,
      primary key (po_number, rma_number)
    );
    create table goods_return_lines (
      po_number  text not null,
      rma_number text not null,
      line_no    integer not null,
      quantity   numeric(18,4) not null check (quantity > 0),
      primary key (po_number, rma_number, line_no),
      foreign key (po_number, rma_number) references goods_returns (po_number, rma_number)
    );
    create table debit_notes (
      po_number         text not null references purchase_orders (po_number),
      debit_note_number text not null,
      rma_number        text not null,
      invoice_number    text not null,
      total             numeric(18,4) not null,
      lines             jsonb not null,
      raised_at         timestamptz not null,
      settled_by        text,
      settled_total     numeric(18,4),
      settled_at        timestamptz,
      primary key (po_number, debit_note_number)
    );

    create table invoice_disputes (
      po_number      text not null references purchase_orders (po_number),
      dispute_id     text not null,
      invoice_number text not null,
      status         text not null check (status in ('open','answered','resolved')),
      opened_at      timestamptz not null,
      opened_by      jsonb not null,
      messages       jsonb not null,
      escalated_at   timestamptz,
      resolved_at    timestamptz,
      resolution     text,
      primary key (po_number, dispute_id)
    );
    create index invoice_disputes_open on invoice_disputes (opened_at) where status <> 'resolved';

    alter table goods_receipt_lines
      add column expected_quantity numeric(18,4) check (expected_quantity >= 0),
      add column counted_quantity numeric(18,4) check (counted_quantity >= 0);

    -- Report dimensions and the indexes that keep each report to the rows of its period.
    alter table journal_lines add column po_line_no integer, add column invoice_number text;
    create index journal_entries_by_posted_at on journal_entries (posted_at, id);
    create index journal_lines_by_entry_account on journal_lines (journal_entry_id, account);

    -- Integration failures (an activity that failed before it succeeded) for the resolution-time KPI.
    create table integration_incidents (
      incident_key  text primary key,
      kind          text not null,
      subject       text not null,
      po_number     text,
      first_failed_at timestamptz not null,
      last_error    text,
      failures      integer not null default 1,
      resolved_at   timestamptz
    );
    create index integration_incidents_open on integration_incidents (first_failed_at) where resolved_at is null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists integration_incidents, invoice_disputes, debit_notes, goods_return_lines, goods_returns, approval_requests, supplier_payment_holds;
    drop index if exists journal_entries_by_posted_at, journal_lines_by_entry_account, invoices_held;
    alter table journal_lines drop column if exists po_line_no, drop column if exists invoice_number;
    alter table goods_receipt_lines drop column if exists expected_quantity, drop column if exists counted_quantity;
    alter table invoices drop column if exists hold_reason, drop column if exists hold_release_on, drop column if exists held_since, drop column if exists held_by_supplier;
    alter table suppliers drop column if exists payment_hold;
    alter table purchase_orders drop constraint if exists purchase_orders_status_check;
    alter table purchase_orders add constraint purchase_orders_status_check
      check (status in ('issued','changes_pending','acknowledged','in_transit','partially_received','received','closed','cancelled'));
  `);
}

/**
 * The reference ERP schema (docs/architecture.md, "ERP"; docs/accounting.md): suppliers, purchase orders and their documents, match
 * results, payments, inventory, the general ledger, the transactional outbox and the built-in
 * accounts-payable ledger.
 *
 * Written as SQL rather than the knex schema builder because the constraints are the point here:
 * money and quantities are numeric(18,4), a journal that does not balance can never commit (a
 * deferred constraint trigger checks every entry at commit time), and every activity write is
 * made idempotent by a unique constraint.
 */
import type { Knex } from 'knex';

const PO_STATUSES = `'issued','changes_pending','acknowledged','in_transit','partially_received','received','closed','cancelled'`;
const INVOICE_STATUSES = `'pending_receipt','exception','approved','scheduled','paid','rejected'`;

/** The chart of accounts the posting rules of docs/accounting.md use (the `Account` codes of state.ts). */
const CHART_OF_ACCOUNTS: { code: string; name: string; category: 'asset' | 'liability' | 'expense' | 'income' }[] = [
  { code: 'INVENTORY', name: 'Inventory', category: 'asset' },
  { code: 'GRNI', name: 'Goods received not invoiced', category: 'liability' },
  { code: 'PPV', name: 'Purchase price variance', category: 'expense' },
  { code: 'FREIGHT_IN', name: 'Freight-in', category: 'expense' },
  { code: 'TAX_RECEIVABLE', name: 'Tax receivable', category: 'asset' },
  { code: 'AP', name: 'Accounts payable', category: 'liability' },
  { code: 'BANK', name: 'Bank', category: 'asset' },
  { code: 'PURCHASE_DISCOUNTS', name: 'Purchase discounts', category: 'income' },
  { code: 'EXPENSE', name: 'Services and other expenses', category: 'expense' },
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table suppliers (
      supplier_id    text primary key,
      name           text not null,
      currency       text not null check (currency ~ '^[A-Z]{3}$'),
      -- null: the supplier has no agreed terms and gets the system default (net 30).
      payment_terms  jsonb,
      tolerances     jsonb not null default '{}',
      slas           jsonb not null default '{}',
      webhook_url    text,
      webhook_secret text,
      created_at     timestamptz not null default now(),
      updated_at     timestamptz not null default now()
    );

    -- The read model of each PO workflow. updated_at is the workflow time of the last event applied,
    -- so a late, older snapshot can never overwrite a newer one.
    create table purchase_orders (
      po_number          text primary key,
      supplier_id        text not null references suppliers (supplier_id),
      currency           text not null,
      buyer              text,
      status             text not null check (status in (${PO_STATUSES})),
      total              numeric(18,4) not null,
      has_open_exception boolean not null default false,
      request_hash       text not null,
      workflow_id        text not null,
      payment_terms      jsonb,
      cancelled_at       timestamptz,
      cancel_reason      text,
      closed_at          timestamptz,
      created_at         timestamptz not null,
      updated_at         timestamptz not null
    );
    -- Listing pages newest first with a keyset cursor over (created_at, po_number).
    create index purchase_orders_listing on purchase_orders (created_at desc, po_number desc);
    create index purchase_orders_by_status on purchase_orders (status, created_at desc, po_number desc);
    create index purchase_orders_by_supplier on purchase_orders (supplier_id, created_at desc, po_number desc);
    create index purchase_orders_with_open_exception on purchase_orders (created_at desc, po_number desc)
      where has_open_exception;

    create table purchase_order_lines (
      po_number              text not null references purchase_orders (po_number),
      line_no                integer not null check (line_no > 0),
      sku                    text not null,
      description            text,
      kind                   text not null check (kind in ('goods','service')),
      uom                    text not null,
      quantity               numeric(18,4) not null check (quantity >= 0),
      unit_price             numeric(18,4) not null check (unit_price >= 0),
      requested_date         date,
      confirmed_quantity     numeric(18,4) not null default 0,
      agreed_unit_price      numeric(18,4) not null check (agreed_unit_price >= 0),
      promised_date          date,
      acknowledgement_status text check (acknowledgement_status in ('accepted','changed','rejected','backordered')),
      shipped_quantity       numeric(18,4) not null default 0,
      received_quantity      numeric(18,4) not null default 0,
      rejected_quantity      numeric(18,4) not null default 0,
      invoiced_quantity      numeric(18,4) not null default 0,
      paid_quantity          numeric(18,4) not null default 0,
      cancelled              boolean not null default false,
      updated_at             timestamptz not null,
      primary key (po_number, line_no)
    );
    create index purchase_order_lines_by_sku on purchase_order_lines (sku);

    -- Supplier acknowledgements as received, with the buyer's decision on proposed changes.
    create table acknowledgements (
      id              bigserial primary key,
      po_number       text not null references purchase_orders (po_number),
      acknowledged_at timestamptz not null,
      type            text not null check (type in ('accept','reject','accept_with_changes')),
      reason          text,
      lines           jsonb not null default '[]',
      acknowledged_by jsonb not null,
      decision        text check (decision in ('approve','reject')),
      decision_reason text,
      decided_at      timestamptz,
      decided_by      jsonb,
      unique (po_number, acknowledged_at)
    );

    create table asns (
      po_number              text not null references purchase_orders (po_number),
      asn_number             text not null,
      ship_date              date not null,
      expected_delivery_date date,
      carrier                text,
      tracking_number        text,
      body_hash              text not null,
      received_at            timestamptz not null,
      received_by            jsonb not null,
      primary key (po_number, asn_number)
    );

    create table asn_lines (
      po_number  text not null,
      asn_number text not null,
      line_no    integer not null,
      quantity   numeric(18,4) not null check (quantity > 0),
      primary key (po_number, asn_number, line_no),
      foreign key (po_number, asn_number) references asns (po_number, asn_number),
      foreign key (po_number, line_no) references purchase_order_lines (po_number, line_no)
    );

    create table goods_receipts (
      po_number      text not null references purchase_orders (po_number),
      receipt_number text not null,
      location       text not null,
      body_hash      text not null,
      received_at    timestamptz not null,
      received_by    jsonb not null,
      primary key (po_number, receipt_number)
    );

    create table goods_receipt_lines (
      po_number         text not null,
      receipt_number    text not null,
      line_no           integer not null,
      quantity_received numeric(18,4) not null check (quantity_received >= 0),
      quantity_rejected numeric(18,4) not null default 0 check (quantity_rejected >= 0),
      primary key (po_number, receipt_number, line_no),
      foreign key (po_number, receipt_number) references goods_receipts (po_number, receipt_number),
      foreign key (po_number, line_no) references purchase_order_lines (po_number, line_no)
    );

    -- One invoice number per supplier across all its POs (docs/domain.md duplicate rule), compared
    -- after normalisation so "inv-001" and "INV 001" collide.
    create table invoices (
      id                bigserial primary key,
      supplier_id       text not null references suppliers (supplier_id),
      po_number         text not null references purchase_orders (po_number),
      invoice_number    text not null,
      normalised_number text not null,
      invoice_date      date not null,
      currency          text not null,
      freight           numeric(18,4) not null default 0,
      tax               numeric(18,4) not null default 0,
      total             numeric(18,4) not null,
      credited_total    numeric(18,4) not null default 0,
      status            text not null check (status in (${INVOICE_STATUSES})),
      body_hash         text not null,
      match_status      text not null check (match_status in ('matched','exception','pending_receipt')),
      match             jsonb not null,
      matched_at        timestamptz,
      submitted_at      timestamptz not null,
      submitted_by      jsonb not null,
      resolution_action text check (resolution_action in ('approve','reject')),
      resolution_reason text,
      resolved_at       timestamptz,
      resolved_by       jsonb,
      posted_at         timestamptz,
      updated_at        timestamptz not null,
      constraint invoices_number_unique_per_supplier unique (supplier_id, normalised_number)
    );
    create index invoices_by_po on invoices (po_number);
    create index invoices_by_status on invoices (status);

    -- No foreign key to purchase_order_lines: an UNKNOWN_LINE invoice line is kept as submitted.
    create table invoice_lines (
      invoice_id bigint not null references invoices (id),
      line_no    integer not null,
      quantity   numeric(18,4) not null check (quantity > 0),
      unit_price numeric(18,4) not null check (unit_price >= 0),
      amount     numeric(18,4) not null,
      primary key (invoice_id, line_no)
    );

    -- The latest match of each invoice, one row per reason, so a clerk (or a report) sees the maths.
    create table match_reasons (
      id         bigserial primary key,
      invoice_id bigint not null references invoices (id),
      line_no    integer,
      code       text not null,
      message    text not null,
      expected   text not null,
      actual     text not null,
      tolerance  text not null
    );
    create index match_reasons_by_invoice on match_reasons (invoice_id);
    create index match_reasons_by_code on match_reasons (code);

    create table credit_memos (
      id                 bigserial primary key,
      supplier_id        text not null references suppliers (supplier_id),
      po_number          text not null references purchase_orders (po_number),
      credit_memo_number text not null,
      normalised_number  text not null,
      invoice_number     text not null,
      total              numeric(18,4) not null,
      body_hash          text not null,
      received_at        timestamptz not null,
      received_by        jsonb not null,
      unique (po_number, normalised_number)
    );

    create table credit_memo_lines (
      credit_memo_id bigint not null references credit_memos (id),
      line_no        integer not null,
      quantity       numeric(18,4) not null check (quantity > 0),
      unit_price     numeric(18,4) not null check (unit_price >= 0),
      amount         numeric(18,4) not null,
      primary key (credit_memo_id, line_no)
    );

    -- One row per payment attempt of an invoice; a failed payment approved again is attempt 2.
    create table payments (
      id            bigserial primary key,
      invoice_id    bigint not null references invoices (id),
      attempt       integer not null check (attempt >= 1),
      payment_id    text,
      status        text not null check (status in ('scheduled','executed','sent','cleared','failed')),
      due_date      date not null,
      discount_date date,
      scheduled_for timestamptz not null,
      amount        numeric(18,4) not null check (amount >= 0),
      discount      numeric(18,4) not null default 0 check (discount >= 0),
      reference     text,
      executed_at   timestamptz,
      updated_at    timestamptz not null,
      unique (invoice_id, attempt)
    );
    create index payments_by_payment_id on payments (payment_id);

    -- Marks every business event as recorded: the idempotency of recordBusinessEvent.
    create table business_event_keys (
      idempotency_key text primary key,
      event_id        text not null,
      po_number       text not null,
      event_type      text not null,
      occurred_at     timestamptz not null,
      recorded_at     timestamptz not null default now()
    );

    create table inventory_movements (
      id          bigserial primary key,
      event_id    text not null,
      po_number   text references purchase_orders (po_number),
      line_no     integer,
      sku         text not null,
      location    text not null,
      quantity    numeric(18,4) not null check (quantity <> 0),
      occurred_at timestamptz not null
    );
    create index inventory_movements_by_sku on inventory_movements (sku, location);
    create index inventory_movements_by_po on inventory_movements (po_number);

    create table inventory_on_hand (
      sku        text not null,
      location   text not null,
      quantity   numeric(18,4) not null,
      updated_at timestamptz not null default now(),
      primary key (sku, location)
    );

    create table gl_accounts (
      code     text primary key,
      name     text not null,
      category text not null check (category in ('asset','liability','expense','income'))
    );

    create table journal_entries (
      id              bigserial primary key,
      idempotency_key text not null unique references business_event_keys (idempotency_key),
      event_id        text not null,
      event_type      text not null,
      po_number       text not null references purchase_orders (po_number),
      description     text not null,
      currency        text not null,
      posted_at       timestamptz not null
    );
    create index journal_entries_by_po on journal_entries (po_number);

    create table journal_lines (
      id               bigserial primary key,
      journal_entry_id bigint not null references journal_entries (id),
      line_no          integer not null,
      account          text not null references gl_accounts (code),
      debit            numeric(18,4) not null default 0,
      credit           numeric(18,4) not null default 0,
      memo             text,
      unique (journal_entry_id, line_no),
      constraint journal_lines_exactly_one_side
        check (debit >= 0 and credit >= 0 and ((debit > 0) <> (credit > 0)))
    );
    create index journal_lines_by_account on journal_lines (account);

    -- Checked at commit, not per statement, because the lines of one entry are inserted one
    -- statement (or row) at a time and only the complete entry has to balance.
    create function assert_journal_entry_balanced() returns trigger language plpgsql as $$
    declare
      entry_ids bigint[];
      entry     bigint;
      imbalance numeric;
    begin
      if tg_op = 'INSERT' then
        entry_ids := array[new.journal_entry_id];
      elsif tg_op = 'DELETE' then
        entry_ids := array[old.journal_entry_id];
      else
        entry_ids := array[old.journal_entry_id, new.journal_entry_id];
      end if;
      foreach entry in array entry_ids loop
        select coalesce(sum(debit), 0) - coalesce(sum(credit), 0) into imbalance
          from journal_lines where journal_entry_id = entry;
        if imbalance <> 0 then
          raise exception 'journal entry % does not balance: debits - credits = %', entry, imbalance
            using errcode = 'check_violation', constraint = 'journal_entry_balanced';
        end if;
      end loop;
      return null;
    end
    $$;

    create constraint trigger journal_entry_balanced
      after insert or update or delete on journal_lines
      deferrable initially deferred
      for each row execute function assert_journal_entry_balanced();

    -- Transactional outbox: written in the same transaction as the event, relayed afterwards.
    -- sequence gives the relay a commit-independent total order to publish in.
    create table outbox (
      id           text primary key,
      sequence     bigserial not null unique,
      type         text not null,
      po_number    text not null,
      occurred_at  timestamptz not null,
      payload      jsonb not null,
      created_at   timestamptz not null default now(),
      published_at timestamptz,
      attempts     integer not null default 0,
      last_error   text
    );
    create index outbox_unpublished on outbox (sequence) where published_at is null;

    create table supplier_notifications (
      id           text primary key,
      supplier_id  text not null,
      po_number    text not null,
      type         text not null,
      occurred_at  timestamptz not null,
      payload      jsonb not null,
      webhook_url  text,
      delivered    boolean not null default false,
      status_code  integer,
      attempts     integer not null default 0,
      last_error   text,
      created_at   timestamptz not null default now(),
      updated_at   timestamptz not null default now(),
      delivered_at timestamptz
    );
    create index supplier_notifications_by_po on supplier_notifications (po_number);

    -- The built-in accounts-payable tool's own ledger of approved invoices and executed payments.
    create table ap_invoices (
      id                bigserial primary key,
      ap_reference      text not null unique,
      supplier_id       text not null,
      po_number         text not null,
      invoice_number    text not null,
      normalised_number text not null,
      invoice_date      date not null,
      currency          text not null,
      total             numeric(18,4) not null,
      created_at        timestamptz not null default now(),
      unique (supplier_id, normalised_number)
    );

    create table ap_payments (
      id              bigserial primary key,
      idempotency_key text not null unique,
      payment_id      text not null unique,
      supplier_id     text not null,
      po_number       text not null,
      invoice_number  text not null,
      currency        text not null,
      amount          numeric(18,4) not null check (amount >= 0),
      discount        numeric(18,4) not null default 0 check (discount >= 0),
      attempt         integer not null,
      status          text not null default 'executed',
      created_at      timestamptz not null default now()
    );
    create index ap_payments_by_invoice on ap_payments (supplier_id, invoice_number);
  `);

  await knex('gl_accounts').insert(CHART_OF_ACCOUNTS);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists ap_payments, ap_invoices, supplier_notifications, outbox,
      journal_lines, journal_entries, gl_accounts, inventory_on_hand, inventory_movements,
      business_event_keys, payments, credit_memo_lines, credit_memos, match_reasons, invoice_lines,
      invoices, goods_receipt_lines, goods_receipts, asn_lines, asns, acknowledgements,
      purchase_order_lines, purchase_orders, suppliers;
    drop function if exists assert_journal_entry_balanced();
  `);
}

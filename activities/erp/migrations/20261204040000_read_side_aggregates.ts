import type { Knex } from 'knex';

/**
 * Read-side aggregates (docs/adr/0073-read-side-aggregates.md): the listing and the KPIs cost the
 * same at 10,000 POs as at 100.
 *
 * - An index for the listing by supplier and status, in the listing's keyset order.
 * - `read_side_counters`: KPI totals kept by triggers in the transaction that changes the rows they
 *   count. A counter is the sum of its shards; a transaction writes the shard of its connection
 *   (`pg_backend_pid() % 8`) from deferred constraint triggers, so concurrent writers do not queue
 *   behind one row, and the lock is taken at commit, after every other lock of the transaction.
 *   An advisory lock per shard, taken first, keeps two transactions of one shard from deadlocking
 *   on two counters.
 * - `po_first_acknowledgements`: each PO's first acknowledgement and its cycle time in hours, for
 *   the count, the average (counters) and the median (an index on the hours).
 * - `grni_line_balances`: the GRNI balance of each PO line, kept from the journal as it is posted,
 *   with whether the PO is still open; the period-close KPI reads the lines with a balance left
 *   (a partial index), not the journal.
 *
 * `rebuild_read_side_aggregates()` recomputes all of it from the base tables: the migration fills
 * existing databases with it, and the tests compare what the triggers kept with a rebuild.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create index purchase_orders_by_supplier_status on purchase_orders (supplier_id, status, created_at desc, po_number desc);

    create table read_side_counters (
      name  text not null,
      shard smallint not null,
      value numeric not null default 0,
      primary key (name, shard)
    );

    create function bump_read_side_counter(counter text, delta numeric) returns void language plpgsql as $$
    declare
      my_shard smallint := pg_backend_pid() % 8;
    begin
      if delta is null or delta = 0 then return; end if;
      perform pg_advisory_xact_lock(20261204, my_shard);
      insert into read_side_counters as c (name, shard, value) values (counter, my_shard, delta)
        on conflict on constraint read_side_counters_pkey do update set value = c.value + excluded.value;
    end $$;

    -- Invoices: what the invoice-matching KPI and the period close count, 1 or 0 each, in the
    -- order of invoice_counter_names().
    create function invoice_counter_names() returns text[] language sql immutable as $$
      select array['invoices', 'decided_invoices', 'first_pass_invoices', 'invoices_with_exception', 'unmatched_invoices', 'unposted_invoices']
    $$;

    create function invoice_counts(status text, match_status text, had_exception boolean, resolution_action text, posted_at timestamptz)
      returns integer[] language sql immutable as $$
      select array[
        1,
        (status <> 'pending_receipt')::integer,
        (status <> 'pending_receipt' and not (had_exception or status = 'exception' or match_status = 'exception' or resolution_action is not null))::integer,
        (had_exception or status = 'exception' or match_status = 'exception' or resolution_action is not null)::integer,
        (status in ('pending_receipt', 'exception'))::integer,
        (status = 'approved' and posted_at is null)::integer]
    $$;

    create function count_invoice() returns trigger language plpgsql as $$
    declare
      names text[] := invoice_counter_names();
      old_counts integer[] := array[0, 0, 0, 0, 0, 0];
      new_counts integer[] := array[0, 0, 0, 0, 0, 0];
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        old_counts := invoice_counts(old.status, old.match_status, old.had_exception, old.resolution_action, old.posted_at);
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        new_counts := invoice_counts(new.status, new.match_status, new.had_exception, new.resolution_action, new.posted_at);
      end if;
      for i in 1 .. array_length(names, 1) loop
        perform bump_read_side_counter(names[i], new_counts[i] - old_counts[i]);
      end loop;
      return null;
    end $$;

    create constraint trigger invoices_counted after insert or delete on invoices
      deferrable initially deferred for each row execute function count_invoice();
    create constraint trigger invoices_recounted
      after update of status, match_status, had_exception, resolution_action, posted_at on invoices
      deferrable initially deferred for each row execute function count_invoice();

    -- The first acknowledgement of each PO.
    create table po_first_acknowledgements (
      po_number             text primary key,
      first_acknowledged_at timestamptz not null,
      hours                 numeric not null
    );
    create index po_first_acknowledgements_by_hours on po_first_acknowledgements (hours);

    create function refresh_first_acknowledgement(po text) returns void language plpgsql as $$
    begin
      if not exists (select 1 from acknowledgements a where a.po_number = po) then
        delete from po_first_acknowledgements where po_number = po;
        return;
      end if;
      insert into po_first_acknowledgements (po_number, first_acknowledged_at, hours)
      select po, f.at, extract(epoch from (f.at - p.created_at)) / 3600.0
        from (select min(a.acknowledged_at) as at from acknowledgements a where a.po_number = po) f
        join purchase_orders p on p.po_number = po
      on conflict (po_number) do update
         set first_acknowledged_at = excluded.first_acknowledged_at, hours = excluded.hours
       where (po_first_acknowledgements.first_acknowledged_at, po_first_acknowledgements.hours)
             is distinct from (excluded.first_acknowledged_at, excluded.hours);
    end $$;

    create function track_first_acknowledgement() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        -- The common case, without a read of the PO's other acknowledgements.
        insert into po_first_acknowledgements (po_number, first_acknowledged_at, hours)
        select new.po_number, new.acknowledged_at, extract(epoch from (new.acknowledged_at - p.created_at)) / 3600.0
          from purchase_orders p where p.po_number = new.po_number
        on conflict (po_number) do update
           set first_acknowledged_at = excluded.first_acknowledged_at, hours = excluded.hours
         where excluded.first_acknowledged_at < po_first_acknowledgements.first_acknowledged_at;
        return null;
      end if;
      if tg_op in ('UPDATE', 'DELETE') then perform refresh_first_acknowledgement(old.po_number); end if;
      if tg_op = 'UPDATE' and new.po_number <> old.po_number then perform refresh_first_acknowledgement(new.po_number); end if;
      return null;
    end $$;

    create trigger acknowledgements_first after insert or delete or update of po_number, acknowledged_at on acknowledgements
      for each row execute function track_first_acknowledgement();

    create function count_first_acknowledgement() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        perform bump_read_side_counter('acknowledged_pos', -1);
        perform bump_read_side_counter('acknowledgement_hours', -old.hours);
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        perform bump_read_side_counter('acknowledged_pos', 1);
        perform bump_read_side_counter('acknowledgement_hours', new.hours);
      end if;
      return null;
    end $$;

    create constraint trigger po_first_acknowledgements_counted after insert or update or delete on po_first_acknowledgements
      deferrable initially deferred for each row execute function count_first_acknowledgement();

    -- GRNI per PO line, from the journal as it is posted (the journal is append-only).
    create table grni_line_balances (
      po_number        text not null,
      po_line_no       integer not null,
      currency         text not null,
      amount           numeric not null,
      first_receipt_at timestamptz,
      po_open          boolean not null,
      primary key (po_number, po_line_no, currency)
    );
    create index grni_line_balances_outstanding on grni_line_balances (first_receipt_at) include (currency, amount)
      where amount <> 0 and po_open;

    create function post_grni_lines() returns trigger language plpgsql as $$
    begin
      insert into grni_line_balances (po_number, po_line_no, currency, amount, first_receipt_at, po_open)
      select e.po_number, l.po_line_no, e.currency, sum(l.credit - l.debit), min(e.posted_at) filter (where l.credit > 0),
             bool_or(p.status not in ('closed', 'cancelled'))
        from posted l
        join journal_entries e on e.id = l.journal_entry_id
        join purchase_orders p on p.po_number = e.po_number
       where l.account = 'GRNI' and l.po_line_no is not null
       group by e.po_number, l.po_line_no, e.currency
      on conflict (po_number, po_line_no, currency) do update
         set amount = grni_line_balances.amount + excluded.amount,
             first_receipt_at = least(grni_line_balances.first_receipt_at, excluded.first_receipt_at);
      return null;
    end $$;

    create trigger journal_lines_grni after insert on journal_lines
      referencing new table as posted for each statement execute function post_grni_lines();

    create function refresh_grni_open() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' or new.status is distinct from old.status then
        update grni_line_balances set po_open = new.status not in ('closed', 'cancelled')
         where po_number = new.po_number and po_open <> (new.status not in ('closed', 'cancelled'));
      end if;
      if tg_op = 'UPDATE' and new.created_at is distinct from old.created_at then
        perform refresh_first_acknowledgement(new.po_number);
      end if;
      return null;
    end $$;

    create trigger purchase_orders_read_side after insert or update of status, created_at on purchase_orders
      for each row execute function refresh_grni_open();

    -- Everything above, recomputed from the base tables.
    create function rebuild_read_side_aggregates() returns void language plpgsql as $$
    begin
      -- Counted as they go, not at commit, so the counters are complete when this returns.
      set constraints po_first_acknowledgements_counted immediate;
      delete from po_first_acknowledgements;
      delete from grni_line_balances;
      delete from read_side_counters;

      insert into po_first_acknowledgements (po_number, first_acknowledged_at, hours)
      select po.po_number, min(a.acknowledged_at), extract(epoch from (min(a.acknowledged_at) - po.created_at)) / 3600.0
        from purchase_orders po join acknowledgements a on a.po_number = po.po_number
       group by po.po_number, po.created_at;

      insert into grni_line_balances (po_number, po_line_no, currency, amount, first_receipt_at, po_open)
      select e.po_number, l.po_line_no, e.currency, sum(l.credit - l.debit), min(e.posted_at) filter (where l.credit > 0),
             bool_or(po.status not in ('closed', 'cancelled'))
        from journal_entries e
        join journal_lines l on l.journal_entry_id = e.id and l.account = 'GRNI'
        join purchase_orders po on po.po_number = e.po_number
       where l.po_line_no is not null
       group by e.po_number, l.po_line_no, e.currency;

      insert into read_side_counters (name, shard, value)
      select (invoice_counter_names())[n], 0, sum((invoice_counts(i.status, i.match_status, i.had_exception, i.resolution_action, i.posted_at))[n])
        from invoices i cross join generate_series(1, array_length(invoice_counter_names(), 1)) n
       group by n
      on conflict on constraint read_side_counters_pkey do update set value = read_side_counters.value + excluded.value;
      set constraints po_first_acknowledgements_counted deferred;
    end $$;

    select rebuild_read_side_aggregates();

    -- The KPIs that still read rows: only the rows they count.
    create index goods_receipt_lines_counted on goods_receipt_lines (po_number) include (counted_quantity, expected_quantity)
      where counted_quantity is not null and expected_quantity is not null;
    create index payments_executed on payments (invoice_id) include (executed_at, discount)
      where executed_at is not null and status <> 'failed';
    create index invoices_approved_unposted on invoices (id) where status = 'approved' and posted_at is null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists invoices_approved_unposted;
    drop index if exists payments_executed;
    drop index if exists goods_receipt_lines_counted;
    drop trigger if exists purchase_orders_read_side on purchase_orders;
    drop trigger if exists journal_lines_grni on journal_lines;
    drop trigger if exists acknowledgements_first on acknowledgements;
    drop trigger if exists invoices_counted on invoices;
    drop trigger if exists invoices_recounted on invoices;
    drop table if exists grni_line_balances;
    drop table if exists po_first_acknowledgements;
    drop table if exists read_side_counters;
    drop function if exists rebuild_read_side_aggregates();
    drop function if exists refresh_grni_open();
    drop function if exists post_grni_lines();
    drop function if exists count_first_acknowledgement();
    drop function if exists track_first_acknowledgement();
    drop function if exists refresh_first_acknowledgement(text);
    drop function if exists count_invoice();
    drop function if exists invoice_counts(text, text, boolean, text, timestamptz);
    drop function if exists invoice_counter_names();
    drop function if exists bump_read_side_counter(text, numeric);
    drop index if exists purchase_orders_by_supplier_status;
  `);
}

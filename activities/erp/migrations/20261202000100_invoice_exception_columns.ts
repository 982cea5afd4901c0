import type { Knex } from 'knex';

/**
 * What the KPIs need to know of an invoice's exceptions, kept on the invoice itself instead of
 * being searched for in the outbox's JSON: whether it was ever held, and since when the exception
 * open now has been waiting. Existing rows are filled from the outbox once, here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table invoices
      add column had_exception boolean not null default false,
      add column exception_opened_at timestamptz;

    update invoices i
       set had_exception = true
     where i.status = 'exception' or i.match_status = 'exception' or i.resolution_action is not null
        or exists (select 1 from outbox o
                    where o.po_number = i.po_number and o.type = 'invoice.exception'
                      and o.payload ->> 'invoiceNumber' = i.invoice_number);

    with invoice_event as (
      select o.po_number, o.payload ->> 'invoiceNumber' as invoice_number, o.type, o.occurred_at
        from outbox o
       where o.type in ('invoice.exception', 'invoice.matched', 'invoice.pending_receipt')
    )
    update invoices i
       set exception_opened_at = coalesce(
             (select min(e.occurred_at) from invoice_event e
               where e.po_number = i.po_number and e.invoice_number = i.invoice_number and e.type = 'invoice.exception'
                 and e.occurred_at > coalesce((select max(c.occurred_at) from invoice_event c
                                                where c.po_number = i.po_number and c.invoice_number = i.invoice_number
                                                  and c.type <> 'invoice.exception'), '-infinity'::timestamptz)),
             i.matched_at, i.submitted_at)
     where i.status = 'exception';

    create index invoices_open_exceptions on invoices (exception_opened_at) where status = 'exception';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists invoices_open_exceptions;
    alter table invoices drop column had_exception, drop column exception_opened_at;
  `);
}

import type { Knex } from 'knex';

/**
 * EDI X12 (docs/edi.md): the supplier's trading-partner profile, per-partner control numbers that
 * never repeat, the interchange log (inbound and outbound, raw X12 kept), and the transaction sets
 * of inbound interchanges with the document key that makes a re-sent document a no-op.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table suppliers add column if not exists edi jsonb;
    create unique index if not exists suppliers_edi_identity
      on suppliers ((edi->>'qualifier'), (edi->>'id')) where edi is not null;

    create table edi_control_numbers (
      supplier_id text not null references suppliers (supplier_id),
      kind        text not null check (kind in ('interchange', 'group', 'set')),
      last_value  bigint not null,
      primary key (supplier_id, kind)
    );

    create table edi_interchanges (
      id                     text primary key,
      direction              text not null check (direction in ('inbound', 'outbound')),
      supplier_id            text not null references suppliers (supplier_id),
      control_number         text not null,
      group_control_numbers  text[] not null default '{}',
      set_ids                text[] not null default '{}',
      document_type          text,
      purpose                text,
      status                 text not null,
      raw                    text not null,
      raw_hash               text not null,
      acknowledgement_raw    text,
      acknowledgement        jsonb,
      po_numbers             text[] not null default '{}',
      sets                   jsonb not null default '[]',
      source_event_id        text unique,
      delivery_url           text,
      attempts               integer not null default 0,
      next_attempt_at        timestamptz,
      last_error             text,
      delivered_at           timestamptz,
      created_at             timestamptz not null default now(),
      updated_at             timestamptz not null default now(),
      unique (supplier_id, direction, control_number)
    );
    create index edi_interchanges_listing on edi_interchanges (created_at desc, id desc);
    create index edi_interchanges_po on edi_interchanges using gin (po_numbers);
    create index edi_interchanges_due on edi_interchanges (next_attempt_at) where next_attempt_at is not null;

    create table edi_documents (
      supplier_id    text not null,
      set_id         text not null,
      document_key   text not null,
      body_hash      text not null,
      interchange_id text not null references edi_interchanges (id),
      po_number      text,
      created_at     timestamptz not null default now(),
      primary key (supplier_id, set_id, document_key)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists edi_documents;
    drop table if exists edi_interchanges;
    drop table if exists edi_control_numbers;
    drop index if exists suppliers_edi_identity;
    alter table suppliers drop column if exists edi;
  `);
}

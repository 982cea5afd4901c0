/**
 * Inventory sync, the way a warehouse or planning system would build it on P2P Orchestrator's
 * events (examples/inventory-sync/README.md): a JetStream durable consumer of
 * `p2p.events.inventory.adjusted` that keeps on-hand stock per SKU and location in its own
 * PostgreSQL tables.
 *
 * Idempotent by message id: the id (Nats-Msg-Id, the outbox event id) is recorded in the same
 * transaction as the stock change, so a message delivered again — after a crash before the ack,
 * a redelivery, a replay by another durable — changes nothing the second time. Only then is the
 * message acknowledged.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Knex } from 'knex';

export interface InventorySyncOptions {
  natsUrl: string;
  /** The WMS's own database. */
  knex: Knex;
  stream?: string;
  subjectPrefix?: string;
  /** The durable consumer's name: the stream remembers where it got to. */
  durable?: string;
}

interface Movement {
  sku: string;
  location: string;
  /** Signed decimal string. */
  quantity: string;
}

interface InventoryAdjusted {
  id: string;
  type: 'inventory.adjusted';
  poNumber: string;
  data: { version: 1; cause: string; movements: Movement[] };
}

/** The WMS's tables: stock per SKU and location, and the messages already applied. */
export async function createInventoryTables(knex: Knex): Promise<void> {
  await knex.raw(`
    create table if not exists wms_applied_messages (message_id text primary key, applied_at timestamptz not null default now());
    create table if not exists wms_on_hand (
      sku text not null, location text not null, quantity numeric(18,4) not null default 0,
      primary key (sku, location)
    );
  `);
}

export class InventorySync {
  /** Messages applied (first time) and skipped (seen before), since this instance started. */
  applied = 0;
  skipped = 0;
  private running: Promise<void> | undefined;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly messages: ConsumerMessages,
    private readonly knex: Knex,
  ) {}

  static async start(options: InventorySyncOptions): Promise<InventorySync> {
    const stream = options.stream ?? 'P2P_EVENTS';
    const durable = options.durable ?? 'inventory-sync';
    await createInventoryTables(options.knex);
    const connection = await connect({ servers: options.natsUrl.split(','), maxReconnectAttempts: -1 });
    const manager = await jetstreamManager(connection);
    await manager.consumers.info(stream, durable).catch(() =>
      manager.consumers.add(stream, {
        durable_name: durable,
        filter_subject: `${options.subjectPrefix ?? 'p2p.events'}.inventory.adjusted`,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
      }),
    );
    const consumer = await jetstream(connection).consumers.get(stream, durable);
    const sync = new InventorySync(connection, await consumer.consume({ max_messages: 100 }), options.knex);
    sync.running = sync.run();
    return sync;
  }

  private async run(): Promise<void> {
    for await (const message of this.messages) {
      try {
        await this.apply(message);
        message.ack();
      } catch {
        // Not applied (the transaction rolled back): ask for it again in a second.
        message.nak(1_000);
      }
    }
  }

  /** Applies one message unless its id was applied before; both in one transaction. */
  private async apply(message: JsMsg): Promise<void> {
    const event = message.json<InventoryAdjusted>();
    const messageId = message.headers?.get('Nats-Msg-Id') || event.id;
    const firstTime = await this.knex.transaction(async (trx) => {
      const recorded = await trx('wms_applied_messages').insert({ message_id: messageId }).onConflict('message_id').ignore().returning('message_id');
      if (recorded.length === 0) return false;
      for (const movement of event.data.movements) {
        await trx('wms_on_hand')
          .insert({ sku: movement.sku, location: movement.location, quantity: movement.quantity })
          .onConflict(['sku', 'location'])
          .merge({ quantity: trx.raw('wms_on_hand.quantity + excluded.quantity') });
      }
      return true;
    });
    if (firstTime) this.applied += 1;
    else this.skipped += 1;
  }

  /** On-hand per `sku@location`, as decimal strings. */
  async onHand(): Promise<Record<string, string>> {
    const rows: { sku: string; location: string; quantity: string }[] = await this.knex('wms_on_hand').select('sku', 'location', this.knex.raw('quantity::text as quantity'));
    return Object.fromEntries(rows.map((row) => [`${row.sku}@${row.location}`, row.quantity]));
  }

  async stop(): Promise<void> {
    this.messages.stop();
    await this.running;
    await this.connection.close();
  }
}

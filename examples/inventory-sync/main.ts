/**
 * Runs the inventory sync: `NATS_URL=nats://127.0.0.1:4222 WMS_DATABASE_URL=postgres://… npx tsx
 * examples/inventory-sync/main.ts`. Prints the on-hand stock every ten seconds; Ctrl-C stops it.
 */
import knexFactory from 'knex';
import { InventorySync } from './inventory-sync';

async function main(): Promise<void> {
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const databaseUrl = process.env.WMS_DATABASE_URL;
  if (!databaseUrl) throw new Error('Set WMS_DATABASE_URL to the PostgreSQL database the example may create its tables in');
  const knex = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 4 } });
  const sync = await InventorySync.start({ natsUrl, knex });
  process.stdout.write(`inventory-sync: consuming p2p.events.inventory.adjusted from ${natsUrl}\n`);
  const report = setInterval(async () => {
    process.stdout.write(`applied ${sync.applied}, skipped ${sync.skipped}: ${JSON.stringify(await sync.onHand())}\n`);
  }, 10_000);
  process.once('SIGINT', async () => {
    clearInterval(report);
    await sync.stop();
    await knex.destroy();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`inventory-sync failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { openDatabase, runMigrations } from '../activities/erp/database';
import { loadConfig } from '../temporal-config/env';
import { createLogger } from '../temporal-config/logging';

/** `npm run migrate`: applies pending ERP schema migrations (embedded database unless DATABASE_URL). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, { service: 'migrate' });
  const database = await openDatabase(config, logger);
  try {
    const applied = await runMigrations(database.knex);
    logger.info(applied.length > 0 ? 'Migrations applied' : 'Database schema already up to date', { applied });
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migrate failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

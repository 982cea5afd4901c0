import { ConfigError, loadConfig } from '../temporal-config/env';
import { devKeyExportLines, loadOrCreateDevApiKeys } from './dev-api-keys';

/**
 * `npm run keys`: the development API keys as shell `export` lines, so a walk-through needs no
 * hand-copied keys:
 *
 *   eval "$(npm run -s keys)"
 *
 * It reads (or creates) the keys file `npm start` uses, in the same DATA_DIR, so it gives the same
 * keys whether the stack runs or not. Stdout carries the export lines and nothing else; every
 * explanation goes to stderr.
 */
function main(): number {
  const complain = (line: string) => process.stderr.write(`npm run keys: ${line}\n`);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    complain(error instanceof ConfigError ? error.message : String(error));
    return 1;
  }
  if (config.api.keys.length > 0) {
    complain(
      'API_KEYS is set in this environment, so the API uses those keys and no development keys; ' +
        'this command cannot know them. Unset API_KEYS to use the development keys.',
    );
    return 1;
  }
  if (config.nodeEnv === 'production') {
    complain('NODE_ENV=production: there are no development keys in production (the API requires API_KEYS).');
    return 1;
  }
  const keys = loadOrCreateDevApiKeys(config.dataDir);
  process.stdout.write(`${devKeyExportLines(keys, config).join('\n')}\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`npm run keys: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseApiKeys } from '../temporal-config/env-values';
import type { ApiKey, AppConfig } from '../temporal-config/env';

/**
 * The identities `npm start` always has a development key for, in banner order, with the shell
 * variable `npm run keys` exports each one as. A file entry is named by its role, or by
 * `supplier:<supplierId>` for a supplier key.
 */
export const DEV_KEY_VARIABLES = {
  procurement: 'BUYER_KEY',
  warehouse: 'WAREHOUSE_KEY',
  finance: 'FINANCE_KEY',
  operator: 'OPERATOR_KEY',
  approver: 'APPROVER_KEY',
  'supplier:ACME': 'SUPPLIER_KEY',
} as const;

type DevIdentity = keyof typeof DEV_KEY_VARIABLES;
const DEV_IDENTITIES = Object.keys(DEV_KEY_VARIABLES) as DevIdentity[];

export interface DevApiKeys {
  /** The API_KEYS value for the API process: every entry of the file. */
  apiKeys: string;
  /** Identity (`procurement`, `supplier:ACME`, ...) → key, in file order, for the banner. */
  byIdentity: Record<string, string>;
  keys: ApiKey[];
  file: string;
}

export class DevApiKeysFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(
      `${file} is not a valid development keys file:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\n` +
        'Each property is a role (procurement, warehouse, finance, operator, approver) or supplier:<supplierId>, and its value ' +
        'the key. Fix the entry, or delete the file to have new keys generated.',
    );
    this.name = 'DevApiKeysFileError';
  }
}

export function devApiKeysFile(dataDir: string): string {
  return path.join(dataDir, 'dev-api-keys.json');
}

/**
 * Development keys for `npm start` (and `npm run keys`) when API_KEYS is not set, so a newcomer
 * can call the API at once. Random per data directory and kept there, so they survive restarts;
 * production never gets here (the API refuses to start without API_KEYS).
 *
 * Every entry of the file is loaded, not only the generated ones: an entry added by hand (a
 * second supplier, say) works like any other key. Each entry is checked with the parser API_KEYS
 * goes through, and a bad one stops start-up naming it, rather than being skipped silently.
 */
export function loadOrCreateDevApiKeys(dataDir: string): DevApiKeys {
  const file = devApiKeysFile(dataDir);
  for (let attempt = 1; ; attempt += 1) {
    const stored = readKeysFile(file);
    const entries: Record<string, unknown> = { ...stored };
    const missing = DEV_IDENTITIES.filter((identity) => !(identity in entries));
    for (const identity of missing) entries[identity] = `dev-${identity.split(':')[0]}-${randomBytes(12).toString('hex')}`;
    const keys = parseEntries(file, entries);
    const byIdentity = entries as Record<string, string>;
    const loaded = { apiKeys: apiKeysValue(byIdentity), byIdentity, keys, file };
    if (missing.length === 0) return loaded;

    const text = `${JSON.stringify(byIdentity, null, 2)}\n`;
    fs.mkdirSync(dataDir, { recursive: true });
    if (stored === undefined) {
      // `npm start` and `npm run keys` may both find no file; exactly one creates it, the other
      // reads what it wrote, so both hand out the same keys.
      try {
        fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 3) continue;
        throw error;
      }
    } else {
      const partial = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(partial, text, { mode: 0o600 });
      fs.renameSync(partial, file);
    }
    return loaded;
  }
}

function readKeysFile(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DevApiKeysFileError(file, [`not JSON (${(error as Error).message})`]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DevApiKeysFileError(file, ['expected a JSON object of identity → key']);
  }
  return parsed as Record<string, unknown>;
}

/** The same checks as API_KEYS, with each problem naming the file's property instead of "entry N". */
function parseEntries(file: string, byIdentity: Record<string, unknown>): ApiKey[] {
  const identities = Object.keys(byIdentity);
  const problems: string[] = [];
  for (const identity of identities) {
    const key = byIdentity[identity];
    // A ":" or "," inside a key would be read as the start of another field or entry.
    if (typeof key !== 'string' || !/^[^\s:,]+$/.test(key)) {
      problems.push(`"${identity}": the key must be a non-empty string without spaces, ":" or ","`);
    }
    if (identity.trim() === '' || /[\s,]/.test(identity)) problems.push(`"${identity}": not a role or supplier:<supplierId>`);
  }
  if (problems.length > 0) throw new DevApiKeysFileError(file, problems);
  try {
    return parseApiKeys(apiKeysValue(byIdentity as Record<string, string>), (index) => `"${identities[index]}"`);
  } catch (error) {
    throw new DevApiKeysFileError(file, (error as Error).message.split('; '));
  }
}

function apiKeysValue(byIdentity: Record<string, string>): string {
  return Object.entries(byIdentity)
    .map(([identity, key]) => `${key}:${identity}`)
    .join(',');
}

/** Where a developer on this machine reaches the API: the bind address, or localhost for a wildcard or loopback one. */
export function localApiUrl(config: Pick<AppConfig, 'api'>): string {
  const host = config.api.host;
  const loopbackOrAny = ['0.0.0.0', '::', '[::]', '127.0.0.1', '::1', '[::1]', 'localhost'].includes(host);
  const shownHost = loopbackOrAny ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shownHost}:${config.api.port}`;
}

/** `export NAME=value` lines for the development keys and the API URL, for `eval` in a shell. */
export function devKeyExportLines(keys: DevApiKeys, config: Pick<AppConfig, 'api'>): string[] {
  const lines = DEV_IDENTITIES.map((identity) => `export ${DEV_KEY_VARIABLES[identity]}=${shellWord(keys.byIdentity[identity]!)}`);
  lines.push(`export API=${shellWord(localApiUrl(config))}`);
  return lines;
}

function shellWord(value: string): string {
  return /^[\w@%+=.,/:-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

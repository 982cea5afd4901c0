import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One key per role, and a supplier key for the demo supplier ACME, as `key:role` entries. */
const DEV_ROLES = ['procurement', 'warehouse', 'finance', 'operator', 'supplier:ACME'] as const;

export interface DevApiKeys {
  /** The API_KEYS value for the API process. */
  apiKeys: string;
  /** Role (or `supplier:ACME`) → key, for the banner. */
  byRole: Record<string, string>;
  file: string;
}

/**
 * Development keys for `npm start` when API_KEYS is not set, so a newcomer can call the API at
 * once. Random per data directory and kept there, so they survive restarts; production never
 * gets here (the API refuses to start without API_KEYS).
 */
export function loadOrCreateDevApiKeys(dataDir: string): DevApiKeys {
  const file = path.join(dataDir, 'dev-api-keys.json');
  let byRole: Record<string, string> = {};
  if (fs.existsSync(file)) byRole = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  let changed = false;
  for (const role of DEV_ROLES) {
    if (!byRole[role]) {
      byRole[role] = `dev-${role.split(':')[0]}-${randomBytes(12).toString('hex')}`;
      changed = true;
    }
  }
  if (changed) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(byRole, null, 2)}\n`, { mode: 0o600 });
  }
  const apiKeys = DEV_ROLES.map((role) => `${byRole[role]}:${role}`).join(',');
  return { apiKeys, byRole, file };
}

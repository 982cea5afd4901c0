import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseApiKeys } from '../../temporal-config/env-values';
import { devApiKeysFile, DevApiKeysFileError, devKeyExportLines, loadOrCreateDevApiKeys, localApiUrl } from '../../scripts/dev-api-keys';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-dev-keys-'));
});
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const writeKeysFile = (content: unknown) =>
  fs.writeFileSync(devApiKeysFile(dataDir), typeof content === 'string' ? content : JSON.stringify(content));

describe('development API keys (npm start without API_KEYS)', () => {
  it('creates one key per role and one for supplier ACME, private to the user, and gives the same ones next time', () => {
    const first = loadOrCreateDevApiKeys(dataDir);
    assert.deepEqual(Object.keys(first.byIdentity), ['procurement', 'warehouse', 'finance', 'operator', 'approver', 'supplier:ACME']);
    assert.equal(fs.statSync(first.file).mode & 0o777, 0o600);
    assert.deepEqual(
      first.keys.map(({ role, supplierId }) => (supplierId ? `${role}:${supplierId}` : role)),
      ['procurement', 'warehouse', 'finance', 'operator', 'approver', 'supplier:ACME'],
    );
    const again = loadOrCreateDevApiKeys(dataDir);
    assert.deepEqual(again.byIdentity, first.byIdentity);
    assert.deepEqual(parseApiKeys(again.apiKeys), first.keys, 'the API process parses the same keys from API_KEYS');
  });

  it('loads an entry added by hand, such as a second supplier, like any generated one', () => {
    const generated = loadOrCreateDevApiKeys(dataDir).byIdentity;
    writeKeysFile({ ...generated, 'supplier:GLOBEX': 'my-globex-key', finance: 'my-finance-key' });
    const loaded = loadOrCreateDevApiKeys(dataDir);
    const apiKeys = parseApiKeys(loaded.apiKeys);
    assert.deepEqual(
      apiKeys.find((key) => key.key === 'my-globex-key'),
      { key: 'my-globex-key', role: 'supplier', supplierId: 'GLOBEX' },
    );
    assert.deepEqual(apiKeys.find((key) => key.key === 'my-finance-key'), { key: 'my-finance-key', role: 'finance' });
    assert.equal(loaded.byIdentity['supplier:GLOBEX'], 'my-globex-key', 'shown in the banner');
  });

  it('fills in a missing generated identity and keeps what the file already holds', () => {
    writeKeysFile({ procurement: 'kept-buyer-key', 'supplier:GLOBEX': 'kept-globex-key' });
    const loaded = loadOrCreateDevApiKeys(dataDir);
    assert.equal(loaded.byIdentity.procurement, 'kept-buyer-key');
    assert.equal(loaded.byIdentity['supplier:GLOBEX'], 'kept-globex-key');
    assert.match(loaded.byIdentity.operator!, /^dev-operator-[0-9a-f]{24}$/);
    assert.deepEqual(JSON.parse(fs.readFileSync(loaded.file, 'utf8')), loaded.byIdentity);
  });

  it('refuses a bad entry by name instead of skipping it, and never echoes a key', () => {
    const generated = loadOrCreateDevApiKeys(dataDir).byIdentity;
    const refusal = (content: unknown, expected: RegExp) => {
      writeKeysFile(content);
      assert.throws(
        () => loadOrCreateDevApiKeys(dataDir),
        (error: Error) => error instanceof DevApiKeysFileError && expected.test(error.message) && !error.message.includes('s3cr3t'),
      );
    };
    refusal({ ...generated, accountant: 's3cr3t-1' }, /"accountant": unknown role "accountant"/);
    refusal({ ...generated, supplier: 's3cr3t-2' }, /"supplier": supplier keys must be bound to a supplier/);
    refusal({ ...generated, 'supplier:GLOBEX': generated.finance }, /"supplier:GLOBEX": the same key is configured twice/);
    refusal({ ...generated, 'supplier:GLOBEX': 's3cr3t:3' }, /"supplier:GLOBEX": the key must be a non-empty string/);
    refusal({ ...generated, operator: 42 }, /"operator": the key must be a non-empty string/);
    refusal('{"procurement": ', /dev-api-keys\.json is not a valid development keys file:\n {2}- not JSON/);
    refusal(['s3cr3t'], /expected a JSON object/);
  });

  it('prints shell exports for the six identities and the API URL', () => {
    const keys = loadOrCreateDevApiKeys(dataDir);
    const lines = devKeyExportLines(keys, { api: { host: '127.0.0.1', port: 3100 } } as never);
    assert.deepEqual(lines, [
      `export BUYER_KEY=${keys.byIdentity.procurement}`,
      `export WAREHOUSE_KEY=${keys.byIdentity.warehouse}`,
      `export FINANCE_KEY=${keys.byIdentity.finance}`,
      `export OPERATOR_KEY=${keys.byIdentity.operator}`,
      `export APPROVER_KEY=${keys.byIdentity.approver}`,
      `export SUPPLIER_KEY=${keys.byIdentity['supplier:ACME']}`,
      'export API=http://localhost:3100',
    ]);
    writeKeysFile({ ...keys.byIdentity, procurement: "it's-mine" });
    assert.equal(devKeyExportLines(loadOrCreateDevApiKeys(dataDir), { api: { host: '0.0.0.0', port: 3000 } } as never)[0], `export BUYER_KEY='it'\\''s-mine'`);
  });

  it('names the API by the address it binds, or localhost for loopback and wildcard addresses', () => {
    const url = (host: string) => localApiUrl({ api: { host, port: 3000 } } as never);
    assert.equal(url('127.0.0.1'), 'http://localhost:3000');
    assert.equal(url('0.0.0.0'), 'http://localhost:3000');
    assert.equal(url('192.168.1.20'), 'http://192.168.1.20:3000');
    assert.equal(url('fd00::20'), 'http://[fd00::20]:3000');
  });
});

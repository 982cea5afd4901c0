import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import {
  freePort,
  isTemporalReachable,
  resolveTemporalCli,
  startDevServer,
} from '../../temporal-config/dev-server';
import type { RunningDevServer } from '../../temporal-config/dev-server';
import { ensureSearchAttributes } from '../../temporal-config/search-attributes';
import { SEARCH_ATTRIBUTES } from '../../workflows/purchase-order/definitions';

const EXPECTED = {
  PoNumber: 'KEYWORD',
  SupplierId: 'KEYWORD',
  PoStatus: 'KEYWORD',
  HasOpenException: 'BOOL',
  PoTotal: 'DOUBLE',
} as const;

async function customSearchAttributes(address: string): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    const response = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    return Object.fromEntries(Object.entries(response.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  } finally {
    await connection.close();
  }
}

describe('the Temporal dev server that npm start and npm test bring up', () => {
  let server: RunningDevServer;

  before(async () => {
    server = await startDevServer({ port: await freePort(), uiPort: await freePort(), headless: true, log: () => undefined });
  });
  after(async () => {
    await server?.stop();
  });

  it('runs the resolved Temporal CLI, not an SDK download', async () => {
    const cli = await resolveTemporalCli({ install: false });
    assert.ok(cli, 'a Temporal CLI is resolvable');
    assert.equal(server.executable, cli);
  });

  it('registers the five PO search attributes with their types (docs/architecture.md, "Temporal contract")', async () => {
    const registered = await customSearchAttributes(server.address);
    for (const [name, type] of Object.entries(EXPECTED)) {
      assert.equal(registered[name], encodeSearchAttributeIndexedValueType(type), `${name} should be ${type}`);
    }
    assert.deepEqual(
      SEARCH_ATTRIBUTES.map((key) => key.name).sort(),
      Object.keys(EXPECTED).sort(),
    );
  });

  it('finds nothing left to register on a server that already has them', async () => {
    const connection = await Connection.connect({ address: server.address });
    try {
      assert.deepEqual(await ensureSearchAttributes(connection, 'default'), []);
    } finally {
      await connection.close();
    }
  });

  it('is reported reachable while running and unreachable once stopped', async () => {
    assert.equal(await isTemporalReachable(server.address), true);
    const port = await freePort();
    assert.equal(await isTemporalReachable(`127.0.0.1:${port}`, 500), false);
  });
});

describe('registering search attributes on a server started without them', () => {
  it('adds the missing ones once and is idempotent afterwards', async () => {
    const cli = await resolveTemporalCli({ install: false });
    assert.ok(cli);
    const { spawn } = await import('node:child_process');
    const port = await freePort();
    const bare = spawn(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'], {
      stdio: 'ignore',
    });
    try {
      const address = `127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      while (!(await isTemporalReachable(address, 1_000))) {
        assert.ok(Date.now() < deadline, 'bare dev server did not start');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const connection = await Connection.connect({ address });
      try {
        const added = await ensureSearchAttributes(connection, 'default');
        assert.deepEqual([...added].sort(), Object.keys(EXPECTED).sort());
        assert.deepEqual(await ensureSearchAttributes(connection, 'default'), []);
      } finally {
        await connection.close();
      }
      const registered = await customSearchAttributes(address);
      for (const [name, type] of Object.entries(EXPECTED)) {
        assert.equal(registered[name], encodeSearchAttributeIndexedValueType(type));
      }
    } finally {
      bare.kill('SIGTERM');
      await new Promise((resolve) => bare.once('exit', resolve));
    }
  });
});

import { randomBytes } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  dynamicConfigCliArgs,
  freePort,
  resolveTemporalCli,
  resolveTestServer,
  startDevServer,
} from '../../temporal-config/dev-server';
import { ensureSearchAttributes } from '../../temporal-config/search-attributes';
import { SEARCH_ATTRIBUTES } from '../../workflows/purchase-order/definitions';

let privateServerAddress: Promise<string> | undefined;

/**
 * Address of a Temporal dev server with the PO search attributes: the shared one `npm test`
 * started (TEST_TEMPORAL_ADDRESS), or, when a test file is run on its own, a private in-memory
 * server for this process (killed when the process exits).
 */
export function testTemporalAddress(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const shared = env.TEST_TEMPORAL_ADDRESS?.trim();
  if (shared) return Promise.resolve(shared);
  privateServerAddress ??= (async () => {
    const server = await startDevServer({
      port: await freePort(),
      uiPort: await freePort(),
      headless: true,
      unref: true,
      log: () => undefined,
    });
    return server.address;
  })();
  return privateServerAddress;
}

/**
 * A new namespace of its own on the shared dev server, with the PO search attributes, so a test
 * file's workflows (same PO numbers, visibility queries) never meet another file's.
 */
export async function createTestNamespace(address: string, prefix = 'p2p-test'): Promise<string> {
  const namespace = `${prefix}-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // A new namespace takes a moment to reach every service's namespace cache.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await connection.workflowService.describeNamespace({ namespace });
        await ensureSearchAttributes(connection, namespace);
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1, query: `PoNumber = 'probe'` });
        return namespace;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

/**
 * Java time-skipping test server (timers of days pass in milliseconds). Uses the pinned binary
 * from the tools venv; without one, the SDK's own download.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH?.trim() || (await resolveTestServer());
  const env = await TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : undefined,
  );
  try {
    // The workflow upserts the PO search attributes; the test server rejects undeclared ones.
    await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  } catch (error) {
    await env.teardown();
    throw error;
  }
  return env;
}

/**
 * A private real dev server (Updates, search attributes, visibility) managed by the SDK, using
 * the resolved CLI binary; without one, the SDK's own download.
 */
export async function createLocalEnv(): Promise<TestWorkflowEnvironment> {
  const path = await resolveTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      ...(path ? { executable: { type: 'existing-path', path } } : {}),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: dynamicConfigCliArgs(),
    },
  });
}

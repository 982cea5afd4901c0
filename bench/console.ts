/**
 * The console's first page of `/console/exceptions` stays cheap however long finance's queue is
 * (docs/console.md, "Performance"): the page with 1,000 open exceptions (25 rendered, the rest
 * behind a cursor) against the same page with none, over HTTP, signed in, through the real app.
 */
import type { Knex } from 'knex';
import { KEYS, startApi, type ApiUnderTest } from '../test/api/api-harness';
import { createTestDatabase } from '../test/helpers/database';
import { EXCEPTIONS_PAGE_SIZE } from '../api/console/router';
import { measurePair, result, type BenchResult } from './measure';

const WARMUP = 5;
const ITERATIONS = 40;
const OPEN_EXCEPTIONS = 1_000;

async function seedExceptions(knex: Knex, count: number): Promise<void> {
  await knex.raw(`insert into suppliers (supplier_id, name, currency) select 'S' || s, 'Supplier ' || s, 'USD' from generate_series(0, 9) s`);
  await knex.raw(
    `insert into purchase_orders (po_number, supplier_id, currency, status, total, has_open_exception, request_hash, workflow_id, created_at, updated_at)
     select 'PO-' || p, 'S' || (p % 10), 'USD', 'received', 100 + p, true, 'h', 'purchase-order:PO-' || p, now() - p * interval '1 minute', now() from generate_series(1, ?::int) p`,
    [count],
  );
  await knex.raw(
    `insert into po_exceptions (po_number, exception_id, supplier_id, code, invoice_number, status, opened_at, reasons, reason_codes, currency, amount, updated_at)
     select 'PO-' || p, 'EXC-1', 'S' || (p % 10), 'MATCH_EXCEPTION', 'INV-' || p, 'open', now() - p * interval '37 minutes',
            jsonb_build_array(jsonb_build_object('code', 'PRICE_VARIANCE', 'message', 'Invoiced unit price differs', 'expected', '10.00', 'actual', '12.00', 'tolerance', '0.20')),
            array['PRICE_VARIANCE'], 'USD', 100 + p, now()
       from generate_series(1, ?::int) p`,
    [count],
  );
  await knex.raw('analyze');
}

/** The session cookie of a finance sign-in, as a browser would get it. */
async function financeSession(api: ApiUnderTest): Promise<string> {
  const form = await fetch(`${api.baseUrl}/console/sign-in`);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  const signInCookie = form.headers.getSetCookie().find((cookie) => cookie.startsWith('p2p_console_sign_in='))?.split(';')[0];
  if (!token || !signInCookie) throw new Error('The sign-in form carried no token');
  const signedIn = await fetch(`${api.baseUrl}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: signInCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, apiKey: KEYS.finance }),
  });
  const session = signedIn.headers.getSetCookie().find((cookie) => cookie.startsWith('p2p_console='))?.split(';')[0];
  if (!session) throw new Error(`Sign-in failed with ${signedIn.status}`);
  return session;
}

async function firstPage(api: ApiUnderTest, session: string, expectRows: number): Promise<void> {
  const response = await fetch(`${api.baseUrl}/console/exceptions`, { headers: { cookie: session } });
  const html = await response.text();
  if (response.status !== 200) throw new Error(`/console/exceptions answered ${response.status}`);
  const rows = html.split('<tr id="exc-').length - 1;
  if (rows !== expectRows) throw new Error(`expected ${expectRows} rows, rendered ${rows}`);
}

export async function consoleBenchmarks(): Promise<BenchResult[]> {
  const [full, empty] = [await createTestDatabase(), await createTestDatabase()];
  const apis: ApiUnderTest[] = [];
  try {
    await seedExceptions(full.knex, OPEN_EXCEPTIONS);
    const fullApi = await startApi({ database: full, env: { API_RATE_LIMIT_MAX: '1000000' } });
    apis.push(fullApi);
    const emptyApi = await startApi({ database: empty, env: { API_RATE_LIMIT_MAX: '1000000' } });
    apis.push(emptyApi);
    const [fullSession, emptySession] = [await financeSession(fullApi), await financeSession(emptyApi)];
    const measured = await measurePair({
      warmup: WARMUP,
      iterations: ITERATIONS,
      subject: () => firstPage(fullApi, fullSession, EXCEPTIONS_PAGE_SIZE),
      baseline: () => firstPage(emptyApi, emptySession, 0),
    });
    return [
      result('console', `first render of /console/exceptions, ${OPEN_EXCEPTIONS} open exceptions`, measured, 'the same page with no open exception', 2, [
        `GET /console/exceptions signed in as finance, over HTTP: ${EXCEPTIONS_PAGE_SIZE} rows rendered with their decision forms, the rest behind a cursor`,
      ]),
    ];
  } finally {
    for (const api of apis) await api.close();
    await Promise.all([full.drop(), empty.drop()]);
  }
}

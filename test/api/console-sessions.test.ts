/**
 * The console's sessions over plain HTTP (no browser, no workflow needed): the cookie's
 * attributes, what the server keeps (never the key), expiry, a key removed from the configuration,
 * the sign-in form's own token, the security headers and the assets' cache lifetimes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../helpers/database';
import type { TestDatabase } from '../helpers/database';
import { API_KEYS_ENV, KEYS, startApi } from './api-harness';
import type { ApiUnderTest, KeyName } from './api-harness';

async function signInForm(api: ApiUnderTest): Promise<{ token: string; cookie: string }> {
  const form = await fetch(`${api.baseUrl}/console/sign-in`);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  const cookie = form.headers.getSetCookie().find((c) => c.startsWith('p2p_console_sign_in='))?.split(';')[0];
  assert.ok(token && cookie);
  return { token, cookie };
}

async function signIn(api: ApiUnderTest, key: KeyName | string, headers: Record<string, string> = {}): Promise<Response> {
  const { token, cookie } = await signInForm(api);
  return fetch(`${api.baseUrl}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ _csrf: token, apiKey: key in KEYS ? KEYS[key as KeyName] : key }),
  });
}

const sessionCookie = (response: Response) => response.headers.getSetCookie().find((c) => c.startsWith('p2p_console='));

describe('console sessions', () => {
  let database: TestDatabase;
  let api: ApiUnderTest;

  before(async () => {
    database = await createTestDatabase();
    api = await startApi({ database, env: { CONSOLE_SESSION_TTL: '3s' } });
  });
  after(async () => {
    await api?.close();
    await database?.drop();
  });

  it('signs in with a key: an HttpOnly, SameSite=Strict cookie scoped to /console, Secure behind TLS; the server keeps a hash and the actor, never the key', async () => {
    const signedIn = await signIn(api, 'finance');
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/console/exceptions');
    const cookie = sessionCookie(signedIn)!;
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\/console/);
    assert.doesNotMatch(cookie, /; Secure/);
    const behindTls = sessionCookie(await signIn(api, 'finance', { 'x-forwarded-proto': 'https' }))!;
    assert.match(behindTls, /; Secure/);

    const rows = await database.knex('console_sessions').select();
    const sessionId = cookie.split(';')[0]!.split('=')[1]!;
    const stored = JSON.stringify(rows);
    assert.ok(!stored.includes(KEYS.finance), 'the key is not stored');
    assert.ok(!stored.includes(sessionId), 'the session id is stored only as a hash');
    assert.ok(rows.some((row) => row.actor.role === 'finance'));
  });

  it('refuses a wrong key with 401 and a sign-in post without its form token with 403, starting no session', async () => {
    const wrong = await signIn(api, 'nope-not-a-key');
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /This API key is not valid\./);
    assert.equal(sessionCookie(wrong), undefined);
    const forged = await fetch(`${api.baseUrl}/console/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ apiKey: KEYS.finance }) });
    assert.equal(forged.status, 403);
    assert.equal(sessionCookie(forged), undefined);
  });

  it('a session expires: the next page asks to sign in again and comes back to where you were', async () => {
    const cookie = sessionCookie(await signIn(api, 'operator'))!.split(';')[0]!;
    const fresh = await fetch(`${api.baseUrl}/console/kpis`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(fresh.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const expired = await fetch(`${api.baseUrl}/console/kpis`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(expired.status, 303);
    assert.equal(expired.headers.get('location'), '/console/sign-in?expired=1&next=%2Fconsole%2Fkpis');
  });

  it('a session ends when its key leaves the configuration', async () => {
    const cookie = sessionCookie(await signIn(api, 'procurement'))!.split(';')[0]!;
    const withoutProcurement = API_KEYS_ENV.split(',').filter((entry) => !entry.endsWith(':procurement')).join(',');
    const rotated = await startApi({ database, env: { API_KEYS: withoutProcurement } });
    try {
      const refused = await fetch(`${rotated.baseUrl}/console/purchase-orders`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(refused.status, 303);
      assert.match(refused.headers.get('location') ?? '', /^\/console\/sign-in/);
    } finally {
      await rotated.close();
    }
  });

  it('pages carry a strict CSP and no-store; assets a year of immutable cache; a page outside the role is a 403 page', async () => {
    const cookie = sessionCookie(await signIn(api, 'procurement'))!.split(';')[0]!;
    const forbidden = await fetch(`${api.baseUrl}/console/kpis`, { headers: { cookie } });
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.headers.get('content-type') ?? '', /^text\/html/);
    const html = await forbidden.text();
    assert.match(html, /not available to the procurement role/);
    const csp = forbidden.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.equal(forbidden.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]|style="/, 'no inline script or style');

    for (const asset of html.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)) {
      const response = await fetch(`${api.baseUrl}${asset[1]}`);
      assert.equal(response.status, 200, asset[1]);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
    assert.match(html, /\/console\/assets\/[0-9a-f]{12}\/htmx\.min\.js/);
  });
});

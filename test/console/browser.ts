/**
 * Real Chromium for the console's tests: the Debian `chromium` package driven by playwright-core
 * (the npm browser download does not work on these machines; .ci/run installs the package).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { KEYS } from '../api/api-harness';
import type { KeyName } from '../api/api-harness';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A fresh browser profile (own cookies) signed in with `key`. */
export async function signedIn(browser: Browser, baseUrl: string, key: KeyName, options: { bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1360, height: 900 }, ...(options.bypassCSP ? { bypassCSP: true } : {}) });
  const page = await context.newPage();
  await page.goto('/console/sign-in');
  await page.getByLabel('API key').fill(KEYS[key]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/console/sign-in'));
  return { context, page };
}

const AXE_SOURCE = () => fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core in the page, evaluated through the DevTools protocol (the console's CSP allows no
 * injected script tag, and must not be loosened for a test). Serious and critical violations only.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE());
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** Screenshots for docs/console/ when CONSOLE_SCREENSHOTS names a directory (not in CI runs). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const directory = process.env.CONSOLE_SCREENSHOTS;
  if (!directory) return;
  fs.mkdirSync(directory, { recursive: true });
  await page.screenshot({ path: path.join(directory, `${name}.png`), fullPage: true });
}

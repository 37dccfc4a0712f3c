import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { OUTPUT_DIR } from './paths';
import type { Account } from './state';

export const DESKTOP = { width: 1280, height: 800 };
export const NARROW = { width: 390, height: 844 };

// Debian's chromium (CI installs it too); Playwright's own browser downloads are not available here.
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Chromium with a fresh temporary profile (Playwright creates and removes it). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Console messages of the page that report a Content-Security-Policy violation: the app must cause none. */
  cspViolations: string[];
}

/** A separate browser context per person, so their logins do not share storage. */
export async function openSession(browser: Browser, baseUrl: string): Promise<Session> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { context, page, cspViolations };
}

export async function logIn(page: Page, account: Account): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  const loggedIn = page.getByRole('button', { name: 'Log out' });
  const refused = page.getByRole('alert');
  await loggedIn.or(refused).first().waitFor();
  if (await refused.isVisible()) throw new Error(`Login of ${account.email} refused: ${await refused.textContent()}`);
}

/** Saves a full-page screenshot as apps/web-e2e/output/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  // Finished transitions: a modal caught half-faded tells nothing.
  await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true, animations: 'disabled' });
}

import { generateSigningKey, trustedKeyLine } from '@upgrade-manager/protocol-v2';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, logIn, NARROW, openSession, screenshot, type Session } from './support/browser';
import { startSiblingApi } from './support/system';
import { SimulatedGateway } from './support/simulated-gateway';
import { readState } from './support/state';
import { V2Gateway } from './support/v2-gateway';

// One story, in order: each test continues where the previous one left the system.
const state = readState();
const VERSION = '1.1';
const ROLLOUT_VERSION = '1.2';
const V2_VERSION = '1.3';
const V2_IMAGE = randomBytes(2 * 1024 * 1024);
const IMAGE = randomBytes(3 * 1024 * 1024);
const IMAGE_SHA256 = createHash('sha256').update(IMAGE).digest('hex');
const companyTwoIds = [1, 2, 3].map((n) => `e2e-${state.runId}-gw-${n}`);
const companyThreeId = `e2e-${state.runId}-other`;
// Slow enough for the page to show "pending" before the Status confirms it.
const INSTALL_MS = 3_000;
// A throttled upload takes a few seconds, so the progress bar is seen moving.
const UPLOAD_BYTES_PER_SECOND = 512 * 1024;

const versionOf = (content: Buffer) => (createHash('sha256').update(content).digest('hex') === IMAGE_SHA256 ? VERSION : content.toString('utf8').trim());

let browser: Browser;
let superUser: Session;
const sessions: Session[] = [];
const gateways: SimulatedGateway[] = [];
const v2Gateways: V2Gateway[] = [];
const v2StateDir = mkdtempSync(join(tmpdir(), 'um-e2e-v2-'));

async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
}

/** The text of `locator` once `accept` holds for it (the page updates it live). */
async function textWhen(locator: Locator, accept: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await locator.textContent({ timeout: timeoutMs })) ?? '';
    if (accept(text)) return text;
    if (Date.now() > deadline) throw new Error(`"${text}" still not as expected after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Bytes shown as "<n> <unit> of 2.0 MiB", in bytes. */
function shownBytes(text: string): number {
  const match = /([\d.]+) (bytes?|KiB|MiB) of 2\.0 MiB/.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * ({ byte: 1, bytes: 1, KiB: 1024, MiB: 1024 * 1024 } as Record<string, number>)[match[2] as string];
}

async function navLinks(page: Page): Promise<string[]> {
  return page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link').allTextContents();
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
  await Promise.allSettled(v2Gateways.map((gateway) => gateway.stop()));
  rmSync(v2StateDir, { recursive: true, force: true });
  for (const session of sessions) await session.context.close().catch(() => undefined);
  await browser?.close();
});

describe('Upgrade Manager in a browser', () => {
  it('sends a visitor to the login page; a super user logs in and sees the dashboard', async () => {
    superUser = await openSession(browser, state.baseUrl);
    sessions.push(superUser);
    const { page } = superUser;
    await page.goto('/versions');
    await page.waitForURL(/\/login\?redirectTo=%2Fversions$/);
    await screenshot(page, '01-login');

    await logIn(page, state.accounts.super);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('heading', { name: 'No gateways yet' }).waitFor();
    await page.getByTestId('live-status').getByText('Live').waitFor();
    await screenshot(page, '02-dashboard-empty');
  });

  it('uploads a version and shows the upload progress', async () => {
    const { page, context } = superUser;
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Versions' }).click();
    await page.getByRole('heading', { name: 'No versions yet' }).waitFor();
    await page.getByLabel('Version', { exact: true }).fill(VERSION);
    await page.locator('input[type="file"]').setInputFiles({ name: `image-${VERSION}.bin`, mimeType: 'application/octet-stream', buffer: IMAGE });

    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: UPLOAD_BYTES_PER_SECOND });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const midway = page.getByTestId('upload-progress').filter({ hasText: /of 3\.0 MiB sent \([2-8]\d%\)/ });
    await midway.waitFor();
    const progressText = await midway.textContent();
    await screenshot(page, '03-versions-uploading');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();

    const row = page.getByTestId(`version-row-${VERSION}`);
    await row.getByText('latest').waitFor({ timeout: 60_000 });
    expect(progressText).toMatch(/^[\d.]+ (KiB|MiB) of 3\.0 MiB sent \([2-8]\d%\)$/);
    expect(await row.getByTitle(IMAGE_SHA256).count()).toBe(1);
    expect(await row.textContent()).toContain('3.0 MiB');
    // The live stream (authenticated with the token in its URL) announced the new version.
    await page.getByText(`Version ${VERSION} can now be deployed.`).waitFor();
    await screenshot(page, '04-versions');
  });

  it('shows simulated gateways as they appear, without a reload', async () => {
    const { page } = superUser;
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Upgrade' }).click();
    await page.getByTestId('company-section-2').waitFor();
    await markNoReload(page);

    for (const gatewayId of companyTwoIds) gateways.push(new SimulatedGateway(state, { gatewayId, companyId: '2', versionOf, installMs: INSTALL_MS }));
    gateways.push(new SimulatedGateway(state, { gatewayId: companyThreeId, companyId: '3', versionOf, installMs: INSTALL_MS }));
    await Promise.all(gateways.map((gateway) => gateway.start()));

    for (const gatewayId of companyTwoIds) await page.getByTestId('company-section-2').getByTestId(`gateway-row-${gatewayId}`).waitFor();
    await page.getByTestId('company-section-3').getByTestId(`gateway-row-${companyThreeId}`).waitFor();
    expect(await page.getByTestId(`gateway-row-${companyTwoIds[0]}`).textContent()).toContain('0.5');
    expect(await stillSameDocument(page)).toBe(true);
    await screenshot(page, '05-upgrade');
  });

  it('deploys to them and shows pending turn to confirmed without a reload', async () => {
    const { page } = superUser;
    for (const gatewayId of companyTwoIds) await page.getByRole('checkbox', { name: `Select ${gatewayId}` }).check();
    await page.getByTestId('selection-summary').getByText('3 gateways selected').waitFor();
    await page.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm the deployment' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirm-total').textContent()).toBe('3 gateways');
    // Let the modal finish opening before the screenshot.
    await page.waitForTimeout(500);
    expect(await dialog.getByTestId('confirm-parts').textContent()).toContain('3 of Sample Company 2 (2)');
    await screenshot(page, '06-upgrade-confirm');
    await dialog.getByRole('button', { name: `Deploy ${VERSION} to 3 gateways` }).click();

    for (const gatewayId of companyTwoIds) await page.getByTestId(`gateway-row-${gatewayId}`).locator('[data-status="pending"]').waitFor();
    await screenshot(page, '07-upgrade-pending');
    for (const gatewayId of companyTwoIds) {
      await page.getByTestId(`gateway-row-${gatewayId}`).locator('[data-status="confirmed"]').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId(`gateway-row-${gatewayId}`).textContent()).toContain(VERSION);
    }
    await page.getByTestId('count-confirmed').getByText('3 confirmed').first().waitFor();
    // The gateway of company 3 was not touched.
    expect(await page.getByTestId(`gateway-row-${companyThreeId}`).locator('[data-status]').count()).toBe(0);
    expect(await stillSameDocument(page)).toBe(true);
    await screenshot(page, '08-upgrade-confirmed');
  });

  it('opens a gateway by deep link, edits it, and keeps the change after a reload', async () => {
    const { page } = superUser;
    await page.goto(`/gateways/${companyTwoIds[0]}`);
    await page.getByRole('heading', { name: companyTwoIds[0] }).waitFor();
    await page.getByLabel('Name').fill('Pump house');
    await page.getByLabel('Latitude').fill('47.37');
    await page.getByLabel('Longitude').fill('8.54');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Pump house' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Pump house' }).waitFor();
    await page.getByRole('table', { name: 'Deployments to this gateway' }).getByText(`confirmed ${VERSION}`).waitFor();
    await screenshot(page, '09-gateway-detail');
  });

  it('shows the users, companies, event log and profile pages', async () => {
    const { page } = superUser;
    await page.goto('/users');
    await page.getByRole('table', { name: 'Users' }).getByText(state.accounts.admin2.email).waitFor();
    await screenshot(page, '10-users');

    await page.goto('/companies');
    await page.getByRole('table', { name: 'Companies' }).getByText('Sample Company 3').waitFor();
    await screenshot(page, '11-companies');

    await page.goto('/events?type=upgrade.confirmed');
    const events = page.getByRole('table', { name: 'Events' });
    await events.getByText(companyTwoIds[2]).waitFor();
    expect(await events.locator('tbody tr').count()).toBe(3);
    await screenshot(page, '12-events');

    await page.goto('/profile');
    await page.getByRole('form', { name: 'Password' }).waitFor();
    await screenshot(page, '13-profile');

    await page.goto('/');
    await page.getByTestId('stat-gateways').getByText('4').waitFor();
    await page.getByRole('img', { name: /Gateways per version/ }).waitFor();
    await screenshot(page, '14-dashboard');
  });

  it('shows an admin of company 2 only company 2', async () => {
    const admin = await openSession(browser, state.baseUrl);
    sessions.push(admin);
    const { page } = admin;
    await logIn(page, state.accounts.admin2);
    await page.getByTestId('stat-gateways').getByText('3').waitFor();
    expect(await navLinks(page)).not.toContain('Companies');
    await screenshot(page, '15-dashboard-admin');

    await page.goto('/upgrade');
    for (const gatewayId of companyTwoIds) await page.getByTestId(`gateway-row-${gatewayId}`).waitFor();
    expect(await page.getByTestId(`gateway-row-${companyThreeId}`).count()).toBe(0);
    expect(await page.getByTestId('company-section-3').count()).toBe(0);
    expect(await page.getByRole('checkbox', { name: 'Every gateway of every company' }).count()).toBe(0);
    await screenshot(page, '16-upgrade-admin');
    await page.setViewportSize(NARROW);
    await screenshot(page, '16-upgrade-admin-narrow');

    await page.goto(`/gateways/${companyThreeId}`);
    await page.getByRole('heading', { name: 'Gateway not found' }).waitFor();
    await page.goto('/companies');
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
  });

  it('runs a staged rollout with approval: phase 1 finishes live, approved, then the rest', async () => {
    const { page } = superUser;
    await page.goto('/versions');
    await page.getByLabel('Version', { exact: true }).fill(ROLLOUT_VERSION);
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: `image-${ROLLOUT_VERSION}.bin`, mimeType: 'application/octet-stream', buffer: Buffer.from(ROLLOUT_VERSION) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByTestId(`version-row-${ROLLOUT_VERSION}`).getByText('latest').waitFor({ timeout: 60_000 });

    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('link', { name: 'New rollout' }).click();
    await page.getByRole('textbox', { name: /^Version/ }).click();
    await page.getByRole('option', { name: `${ROLLOUT_VERSION} (latest)` }).click();
    await page.getByRole('textbox', { name: 'Id or name pattern' }).fill(`e2e-${state.runId}-gw-*`);
    await page.getByTestId('match-count').getByText('3 gateways match now').waitFor();
    await page.getByRole('textbox', { name: 'Phase 1 size' }).fill('1');
    await page.getByRole('radiogroup', { name: 'Phase 1 unit' }).getByText('gateways more').click();
    await page.getByRole('switch', { name: /Advance automatically/ }).uncheck({ force: true });
    await screenshot(page, '20-rollout-form');
    await page.getByRole('button', { name: 'Start rollout' }).click();

    await page.getByRole('heading', { name: `Rollout of version ${ROLLOUT_VERSION}` }).waitFor();
    await markNoReload(page);
    // Phase 1 (one gateway) finishes live, then the rollout waits for a person.
    await page.getByTestId('phase-1-confirmed').getByText('1 confirmed').waitFor({ timeout: 60_000 });
    await page.getByTestId('rollout-state').getByText('waiting approval').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('phase-2-confirmed').textContent()).toBe('0 confirmed');
    await screenshot(page, '21-rollout-waiting-approval');

    await page.getByRole('button', { name: 'Approve next phase' }).click();
    await page.getByTestId('phase-2-confirmed').getByText('2 confirmed').waitFor({ timeout: 60_000 });
    await page.getByTestId('rollout-state').getByText('finished').waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: /Approve|Pause|Cancel/ }).count()).toBe(0);
    expect(await stillSameDocument(page)).toBe(true);
    await screenshot(page, '22-rollout-finished');

    await page.goto('/events?type=rollout.approved');
    await page.getByRole('table', { name: 'Events' }).getByText(state.accounts.super.email).first().waitFor();
  });

  it('keeps a user away from the upgrade page', async () => {
    const user = await openSession(browser, state.baseUrl);
    sessions.push(user);
    const { page } = user;
    await logIn(page, state.accounts.user2);
    await page.getByTestId('stat-gateways').getByText('3').waitFor();
    const links = await navLinks(page);
    expect(links).toContain('Dashboard');
    for (const hidden of ['Upgrade', 'Users', 'Companies']) expect(links).not.toContain(hidden);

    await page.goto('/upgrade');
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await screenshot(page, '17-not-allowed');

    await page.setViewportSize(NARROW);
    await page.goto('/');
    await page.getByTestId('stat-gateways').getByText('3').waitFor();
    await screenshot(page, '18-dashboard-narrow');
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Event log' }).click();
    await page.getByRole('heading', { name: 'Event log' }).waitFor();
    await screenshot(page, '19-events-narrow');
  });

  it('shows the state and bytes of each protocol-v2 target live during a v2 deployment', async () => {
    const { page } = superUser;
    await page.goto('/versions');
    await page.getByLabel('Version', { exact: true }).fill(V2_VERSION);
    await page.locator('input[type="file"]').setInputFiles({ name: `image-${V2_VERSION}.bin`, mimeType: 'application/octet-stream', buffer: V2_IMAGE });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByTestId(`version-row-${V2_VERSION}`).getByText('latest').waitFor({ timeout: 60_000 });

    // Three gateways that trust the server's key and one that trusts another key, all of company 3.
    const ids = [1, 2, 3].map((n) => `e2e-${state.runId}-v2-${n}`);
    const wrongKeyId = `e2e-${state.runId}-v2-wrong-key`;
    for (const gatewayId of [...ids, wrongKeyId]) {
      const trusted = trustedKeyLine(gatewayId === wrongKeyId ? generateSigningKey() : createPrivateKey(readFileSync(state.signingKeyFile)));
      v2Gateways.push(new V2Gateway(state, { gatewayId, companyId: '3', stateDir: join(v2StateDir, gatewayId), trustedKeyLine: trusted }));
    }
    await Promise.all(v2Gateways.map((gateway) => gateway.start()));

    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Upgrade' }).click();
    await markNoReload(page);
    for (const gatewayId of [...ids, wrongKeyId]) {
      await page.getByTestId('company-section-3').getByTestId(`gateway-row-${gatewayId}`).waitFor();
      await page.getByRole('checkbox', { name: `Select ${gatewayId}` }).check();
    }
    await page.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm the deployment' });
    await dialog.getByRole('button', { name: `Deploy ${V2_VERSION} to 4 gateways` }).click();

    const card = page.locator('[data-testid^="deployment-"]').filter({ hasText: `Version ${V2_VERSION} to 4 gateways` });
    const v2Table = card.getByRole('table', { name: 'Protocol v2 targets' });
    // Chunks reach the agents one by one: each row shows downloading, and its bytes grow without a reload.
    for (const gatewayId of ids) {
      const row = v2Table.getByTestId(`v2-target-${gatewayId}`);
      const first = await textWhen(row, (text) => text.includes('downloading') && shownBytes(text) > 0);
      await textWhen(row, (text) => shownBytes(text) > shownBytes(first));
    }
    const rejected = await textWhen(v2Table.getByTestId(`v2-target-${wrongKeyId}`), (text) => text.includes('rejected'));
    expect(rejected).toMatch(/rejected: signing key [0-9a-f]{16} is not trusted/);
    await card.getByTestId('count-failed').getByText('1 failed').waitFor();
    await screenshot(page, '23-v2-downloading');

    // Every chunk through; the installation waits for the test.
    for (const gateway of v2Gateways) gateway.letChunksThrough();
    for (const gatewayId of ids) await textWhen(v2Table.getByTestId(`v2-target-${gatewayId}`), (text) => text.includes('installing'));
    await screenshot(page, '24-v2-installing');

    for (const gateway of v2Gateways) gateway.letInstall();
    await card.getByTestId('count-confirmed').getByText('3 confirmed').waitFor({ timeout: 60_000 });
    await v2Table.getByText('3 of 4 protocol-v2 targets installed').waitFor();
    // Installed targets leave the table; the rejected one stays with its reason.
    for (const gatewayId of ids) await v2Table.getByTestId(`v2-target-${gatewayId}`).waitFor({ state: 'detached' });
    expect(await v2Table.getByTestId(`v2-target-${wrongKeyId}`).textContent()).toContain('rejected');
    for (const gatewayId of ids) expect(readFileSync(join(v2StateDir, gatewayId, 'installed.bin')).equals(V2_IMAGE)).toBe(true);
    expect(await stillSameDocument(page)).toBe(true);
    await screenshot(page, '25-v2-installed');
  });

  it('shows live a change made through another API process of the same database and broker', async () => {
    const { page } = superUser;
    const gatewayId = companyTwoIds[1];
    await page.goto(`/gateways/${gatewayId}`);
    await page.getByRole('heading', { name: gatewayId }).waitFor();
    await page.getByTestId('live-status').getByText('Live').waitFor();
    await markNoReload(page);
    const other = await startSiblingApi(state, 'e2e-other');
    try {
      const login = await fetch(`${other.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(state.accounts.super),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const renamed = await fetch(`${other.baseUrl}/api/gateways/${gatewayId}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ name: 'Renamed through the other process' }),
      });
      expect(renamed.status).toBe(200);
      // This page's stream comes from the first process: the change reached it through the broker.
      await page.getByRole('heading', { name: 'Renamed through the other process' }).waitFor();
      expect(await stillSameDocument(page)).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('runs under the strict Content-Security-Policy without a single violation', async () => {
    const response = await superUser.page.goto('/');
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await superUser.page.getByRole('button', { name: 'Log out' }).waitFor();
    expect(sessions.flatMap((session) => session.cspViolations)).toEqual([]);
  });
});

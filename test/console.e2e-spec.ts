import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { api, clockPast, gcs, kcatProduce, makeServiceKey, TestAccount, TestSystem } from '@bulk-export/testing';
import { ExportBody, produceInWindow } from './support/exports';

/**
 * The admin console in a real Chromium (Debian's package, driven by playwright-core; no
 * browser is downloaded), against the four services on the real stack. Each step checks
 * what a person sees on the page; a screenshot of every page is written to
 * <TEST_LOG_DIR>/console-screenshots (the README shows committed copies from docs/console).
 */
const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;

/** The value a datetime-local input takes for `ms`; the browser runs in UTC. */
const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 19);

function event(eventName: string, i: number): string {
  return JSON.stringify({ eventName, ts: 20261202090000 + i, profile: { identity: `user-${i}` }, eventProps: { i } });
}

describe('admin console in Chromium', () => {
  let system: TestSystem;
  let account: TestAccount;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shots: string;
  const requested: string[] = [];
  const consoleLines: string[] = [];

  /** A link of the console's navigation bar. */
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  /** Waits until `text` is visible on the page (inside `scope` when given). */
  const see = async (text: string | RegExp, scope = 'body', timeout = 15_000) => {
    await page.locator(scope).getByText(text).first().waitFor({ state: 'visible', timeout });
  };

  beforeAll(async () => {
    system = await TestSystem.start();
    account = await system.createAccount();
    shots = join(system.logDir, 'console-screenshots');
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC', locale: 'en-US' });
    context.on('request', (r) => requested.push(r.url()));
    page = await context.newPage();
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('is served with a strict Content-Security-Policy', async () => {
    const res = await page.goto(`${system.api}/console/`);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const redirect = await fetch(`${system.api}/console`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/console/']);
  });

  it('refuses a wrong API key, then signs in with the right one', async () => {
    await see('Sign in to Bulk Export');
    await page.getByLabel('API key').fill('bx_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see('That API key is not valid', '#api-key-error');
    await shot('01-sign-in-error');
    await page.getByLabel('API key').fill(account.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Activity Log' }).waitFor();
    await see('No exports yet');
    expect(await page.evaluate("sessionStorage.getItem('bulk-export.apiKey')")).toBe(account.apiKey);
  });

  it('shows the hint for a missing bucket, then saves the real one from a picked .json file', async () => {
    await nav('Credentials').click();
    await page.getByRole('heading', { name: 'Credentials', exact: true }).waitFor();
    const bucket = await gcs.createBucket();
    await page.getByLabel('Service Key').fill(JSON.stringify(makeServiceKey()));
    await page.getByLabel('Bucket Name').fill(`${bucket}-missing`);
    await page.getByRole('button', { name: 'Save Credentials' }).click();
    await see(`bucket \`${bucket}-missing\` was not found`, '#bucket-error');
    await see('bucket names must match exactly', '#bucket-error');
    expect(await page.getByLabel('Bucket Name').getAttribute('aria-invalid')).toBe('true');
    await shot('02-credentials-bucket-not-found');

    await page.getByLabel('Service Key').fill('');
    await page.getByLabel('…or pick the key file (.json)').setInputFiles({
      name: 'key.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(makeServiceKey('console'))),
    });
    await page.waitForFunction("document.getElementById('service-key').value.includes('service_account')");
    await page.getByLabel('Bucket Name').fill(bucket);
    await page.getByRole('button', { name: 'Save Credentials' }).click();
    await see(`Credentials Saved: bucket ${bucket}`);
    await see('exporter-console@bulk-export-test.iam.gserviceaccount.com', 'table');
    await shot('03-credentials-saved');
  });

  it('names the field of an API 400 in the Create Export form', async () => {
    await nav('Create Export').click();
    await page.getByRole('heading', { name: 'Create Export' }).waitFor();
    await see('Up to 45 days back');
    // The date picker offers no day older than 45 days.
    const min = Date.parse(`${await page.getByLabel(/^From/).getAttribute('min')}Z`);
    expect(Math.abs(min - (Date.now() - 45 * DAY))).toBeLessThan(5 * 60_000);
    await page.getByLabel(/^From/).fill(localInput(Date.now() - 50 * DAY));
    await page.getByLabel(/^To/).fill(localInput(Date.now() - 49 * DAY));
    await page.getByRole('button', { name: 'Create Export' }).click();
    await see('`from` must lie inside the last 45 days', '#from-error');
    await shot('04-create-export-field-error');
  });

  it('creates a one-time export of events produced with kcat and watches the Activity Log reach Done without reloading', async () => {
    const produced = await produceInWindow(account.eventsTopic, [
      event('App Launched', 1),
      event('App Launched', 2),
      event('Charged', 3),
      event('App Launched', 4),
      event('Charged', 5),
    ]);
    const from = Math.floor(produced.from / 1000) * 1000;
    const to = Math.ceil(produced.to / 1000) * 1000;
    await clockPast(to);
    await page.getByLabel('Export type').selectOption('all_events');
    await page.getByLabel(/^From/).fill(localInput(from));
    await page.getByLabel(/^To/).fill(localInput(to));
    await page.getByLabel('Format').selectOption('json');
    await page.getByLabel('Compression').selectOption('gzip');
    await page.getByText('Advanced').click(); // opened to show it; left empty, so nothing of it is sent
    await shot('05-create-export-one-time');
    await page.getByRole('button', { name: 'Create Export' }).click();

    await page.getByRole('heading', { name: 'Activity Log' }).waitFor();
    await see(/Export \w+ created/);
    const id = (await page.locator('tr[data-export-id]').first().getAttribute('data-export-id')) as string;
    await page.evaluate('window.notReloaded = true');
    const row = page.locator(`tr[data-export-id="${id}"]`);
    await see('All events', `tr[data-export-id="${id}"]`);
    await see('One time', `tr[data-export-id="${id}"]`);
    await see('JSON (gzip)', `tr[data-export-id="${id}"]`);
    await row.locator('.status', { hasText: 'Done' }).waitFor({ timeout: 120_000 });
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await shot('06-activity-log-done');

    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: `Export ${id}` }).waitFor();
    await page.locator('table.files').waitFor();
    const shown = await page.locator('table.files tbody tr td:first-child').allTextContents();
    const body = (await api<ExportBody>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey })).body;
    const files = body.runs.flatMap((r) => r.files.map((f) => f.name));
    expect(shown.sort()).toEqual(files.sort());
    expect(shown).toHaveLength(2); // App Launched and Charged, one day
    const bucket = (
      await api<{ items: { bucket: string }[] }>(system.api, 'GET', '/v1/credentials/gcp', { apiKey: account.apiKey })
    ).body.items[0].bucket;
    const inBucket = (await gcs.list(bucket)).map((o) => o.name);
    for (const name of shown) {
      expect(name.startsWith(`${id}-`)).toBe(true);
      expect(inBucket).toContain(name);
    }
    await see(`gs://${bucket}/${id}-*`);
    const counts = page.locator('section.run dl.counts');
    expect(await counts.locator('dt:has-text("Rows") + dd').first().textContent()).toBe('5');
    expect(await counts.locator('dt:has-text("Rejected rows") + dd').textContent()).toBe('0');
    await see('App Launched', 'table.files');
    await shot('07-export-detail');
  });

  it("updates an export's page live until its run is done", async () => {
    // A window that ends a few seconds from now: the export is pending when its page opens.
    const from = Math.floor(Date.now() / 1000) * 1000 - 1000;
    const to = from + 8000;
    const credentialId = (
      await api<{ items: { id: string }[] }>(system.api, 'GET', '/v1/credentials/gcp', { apiKey: account.apiKey })
    ).body.items[0].id;
    const created = await api<ExportBody>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId,
        type: 'select_events',
        events: ['Charged'],
        frequency: 'one_time',
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        format: 'csv',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await page.evaluate(`location.hash = '#/exports/${id}'`);
    await page.locator('dl.summary .status', { hasText: 'Pending' }).waitFor();
    await see('updating live', 'dl.summary');
    await page.evaluate('window.notReloaded = true');
    await kcatProduce(account.eventsTopic, [event('Charged', 6), event('App Launched', 7), event('Charged', 8)]);
    await page.locator('dl.summary .status', { hasText: 'Done' }).waitFor({ timeout: 120_000 });
    await page.locator('table.files tbody tr').first().waitFor();
    expect(await page.locator('table.files tbody tr td[data-label="Event"]').allTextContents()).toEqual(['Charged']);
    expect(await page.locator('table.files tbody tr td[data-label="Rows"]').allTextContents()).toEqual(['2']);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await page.getByText('updating live').count()).toBe(0);
  });

  it('creates a recurring export, sees it Pending, and stops it', async () => {
    await nav('Create Export').click();
    await page.getByRole('heading', { name: 'Create Export' }).waitFor();
    await page.getByLabel('Export type').selectOption('select_events');
    await page.getByLabel('Event name').fill('Charged');
    await page.getByRole('button', { name: 'Add event' }).click();
    await see('Charged', 'ul.chips');
    await page.getByLabel('Recurring').check();
    await page.getByLabel('Every (hours)').fill('4');
    await page.getByLabel('Format').selectOption('csv');
    await shot('08-create-export-recurring');
    await page.getByRole('button', { name: 'Create Export' }).click();

    await see(/Export \w+ created/);
    const id = (await page.locator('tr[data-export-id]').first().getAttribute('data-export-id')) as string;
    const row = `tr[data-export-id="${id}"]`;
    await see('Select events', row);
    await see('Charged', row);
    await see('Every 4 h', row);
    await page.locator(row).locator('.status', { hasText: 'Pending' }).waitFor();
    await shot('09-activity-log-pending');

    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: `Export ${id}` }).waitFor();
    await page.getByRole('button', { name: 'Stop export' }).click();
    await see('Export stopped');
    await page.locator('dl.summary .status', { hasText: 'Stopped' }).waitFor();
    expect(await page.getByRole('button', { name: 'Stop export' }).count()).toBe(0);
    await shot('10-export-stopped');
    const stopped = await api<ExportBody>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey });
    expect(stopped.body.status).toBe('stopped');
  });

  it('reads at a phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav('Activity Log').click();
    await page.getByRole('heading', { name: 'Activity Log' }).waitFor();
    await page.locator('.status', { hasText: 'Stopped' }).first().waitFor();
    // Nothing but the tables scrolls sideways.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('11-activity-log-phone');
    // Each export reads as a card: its status and type without scrolling sideways.
    const done = page.locator('tr[data-export-id]').filter({ hasText: 'Done' }).first();
    expect(await done.locator('td[data-label="Status"]').isVisible()).toBe(true);
    const box = await done.locator('td[data-label="Status"]').boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(390);
    await done.getByRole('link').click();
    await page.locator('table.files').waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('12-export-detail-phone');
    await nav('Create Export').click();
    await page.getByRole('heading', { name: 'Create Export' }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('13-create-export-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('pages through the Activity Log', async () => {
    const credentialId = (
      await api<{ items: { id: string }[] }>(system.api, 'GET', '/v1/credentials/gcp', { apiKey: account.apiKey })
    ).body.items[0].id;
    for (let i = 0; i < 20; i++) {
      const res = await api(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: {
          partner: 'gcp',
          credentialId,
          type: 'all_events',
          frequency: 'recurring',
          intervalHours: 24,
          format: 'parquet',
        },
      });
      expect(res.status).toBe(201);
    }
    await nav('Activity Log').click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('tr[data-export-id]').nth(19).waitFor();
    expect(await page.locator('tr[data-export-id]').count()).toBe(20);
    await page.getByRole('button', { name: 'Older' }).click();
    await see('Page 2');
    await see('JSON (gzip)', 'table'); // the one-time export, the oldest
    expect(await page.locator('tr[data-export-id]').count()).toBe(3); // 23 exports in all
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Newer' }).click();
    await see('Page 1');
    await page.locator('tr[data-export-id]').nth(19).waitFor();
  });

  it('replaces the key of saved credentials, and deletes credentials', async () => {
    await nav('Credentials').click();
    const bucket = (
      await api<{ items: { bucket: string }[] }>(system.api, 'GET', '/v1/credentials/gcp', { apiKey: account.apiKey })
    ).body.items[0].bucket;
    await page.getByRole('button', { name: `Replace the key of bucket ${bucket}` }).click();
    await page.getByRole('heading', { name: `Replace the key of bucket ${bucket}` }).waitFor();
    await page.waitForFunction("document.activeElement?.id === 'service-key'", undefined, { timeout: 5_000 });
    expect(await page.getByLabel('Bucket Name').inputValue()).toBe(bucket);
    await page.getByLabel('Service Key').fill(JSON.stringify(makeServiceKey('rotated')));
    await page.getByRole('button', { name: 'Save Credentials' }).click();
    await see(`Credentials Saved: bucket ${bucket}, service account exporter-rotated@`);
    await see('exporter-rotated@bulk-export-test.iam.gserviceaccount.com', 'table');
    expect(await page.locator('table tbody tr').count()).toBe(1);

    const spare = await gcs.createBucket();
    await page.getByLabel('Service Key').fill(JSON.stringify(makeServiceKey()));
    await page.getByLabel('Bucket Name').fill(spare);
    await page.getByRole('button', { name: 'Save Credentials' }).click();
    await see(`Credentials Saved: bucket ${spare}`);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Delete the credentials of bucket ${spare}` }).click();
    await see(`Credentials for bucket ${spare} deleted.`);
    await page
      .getByRole('button', { name: `Delete the credentials of bucket ${spare}` })
      .waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.locator('table tbody tr').count()).toBe(1);
  });

  it('signs out, and never put the key in a URL, the console log or the page', async () => {
    expect(await page.content()).not.toContain(account.apiKey);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await see('Sign in to Bulk Export');
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await shot('00-sign-in');
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => u.includes(account.apiKey))).toEqual([]);
    expect(consoleLines.filter((l) => l.includes(account.apiKey))).toEqual([]);
    // No Content-Security-Policy violation and no script error on any page.
    expect(consoleLines.filter((l) => /Content Security Policy|pageerror/i.test(l))).toEqual([]);
  });
});

describe('console rate limit', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await TestSystem.start({ RATE_LIMIT_PER_MINUTE: '3' }, ['request-api']);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('answers 429 with Retry-After past RATE_LIMIT_PER_MINUTE requests a minute from one address', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${system.api}/console/app.js`);
      statuses.push(res.status);
      retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

import { Browser, chromium, Page } from 'playwright-core';
import { api, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { saveCredentials } from './support/exports';

/**
 * The console with the export options of the API (folder, file size, XML layout, profile
 * mode) and a paused export resumed from its page, in Debian's Chromium.
 */
describe('console: export options and resume', () => {
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;

  beforeAll(async () => {
    system = await TestSystem.start({}, ['request-api']);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
    page = await (await browser.newContext({ timezoneId: 'UTC' })).newPage();
    await page.goto(`${system.api}/console/`);
    await page.getByLabel('API key').fill(account.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  const openCreate = () =>
    page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Create Export', exact: true }).click();

  it('sends the advanced options and shows them on the export', async () => {
    await openCreate();
    await page.getByLabel('Export type').selectOption('all_profiles');
    await page.getByLabel('Recurring').check();
    await page.getByLabel('Format').selectOption('xml');
    await page.getByText('Advanced').click();
    await page.getByLabel('Folder in the bucket (prefix)').fill('clevertap/exports/');
    await page.getByLabel('Largest file (MB)').fill('5');
    await page.getByLabel('XML layout').selectOption('typed');
    await page.getByLabel('Profiles in each run').selectOption('snapshot');
    await page.getByRole('button', { name: 'Create Export' }).click();
    await page.getByText(/Export \w+ created/).waitFor();
    const id = (await page.locator('tr[data-export-id]').first().getAttribute('data-export-id')) as string;
    const body = (
      await api<Record<string, unknown>>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey })
    ).body;
    expect([body.prefix, body.maxFileMb, body.xmlLayout, body.profileMode]).toEqual([
      'clevertap/exports/',
      5,
      'typed',
      'snapshot',
    ]);
    await page.getByRole('link', { name: id }).click();
    await page.getByText(`gs://${bucket}/clevertap/exports/${id}-*`).waitFor();
    await page.getByText('files up to 5 MB, typed XML, snapshot profiles').waitFor();
    expect((await api(system.api, 'POST', `/v1/exports/${id}/stop`, { apiKey: account.apiKey })).status).toBe(200);
  });

  it("shows the API's refusal of a file size under its field", async () => {
    await openCreate();
    await page.getByText('Advanced').click();
    await page.getByLabel('Largest file (MB)').fill('500');
    await page.getByLabel(/^From/).fill(new Date(Date.now() - 3_600_000).toISOString().slice(0, 19));
    await page.getByLabel(/^To/).fill(new Date(Date.now() - 60_000).toISOString().slice(0, 19));
    await page.getByRole('button', { name: 'Create Export' }).click();
    await page.locator('#maxFileMb-error').waitFor();
    expect(await page.locator('#maxFileMb-error').textContent()).toMatch(/100/);
  });

  it('resumes a paused export from its page', async () => {
    const created = await api<{ id: string }>(system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId,
        type: 'all_events',
        frequency: 'recurring',
        intervalHours: 6,
        format: 'json',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // Paused as the run lifecycle pauses it after three failed runs.
    await system.db.query(`UPDATE exports SET status = 'paused', paused_at = now(), error = $2 WHERE id = $1`, [
      id,
      'paused after 3 runs in a row failed; the last one failed because: bucket was not found',
    ]);
    await page.goto(`${system.api}/console/#/exports/${id}`);
    await page.getByText('Paused', { exact: true }).first().waitFor();
    await page
      .getByText(/paused after 3 runs in a row failed/)
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Resume export' }).click();
    await waitFor(
      'export pending again',
      async () => {
        const body = (await api<{ status: string }>(system.api, 'GET', `/v1/exports/${id}`, { apiKey: account.apiKey }))
          .body;
        return body.status === 'pending' ? body : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    await page.getByText('Pending', { exact: true }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Resume export' }).count()).toBe(0);
  });
});

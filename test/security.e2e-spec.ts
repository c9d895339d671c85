import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialCipher } from '@bulk-export/storage';
import {
  api,
  clockPast,
  gcs,
  kcatConsumeAll,
  kcatProduce,
  makeServiceKey,
  TestAccount,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';
import { createExport, exportDone, ExportBody } from './support/exports';

/**
 * Nobody gets in, nothing leaks: every route with another account's ids is a 404; a marker
 * planted in a service-account key appears in no response, log line, Kafka message or
 * database column in clear; API keys are hashed, listed without secrets and revocable;
 * keys rotate; a key that sends too much gets 429; hostile bodies, queries and commands are
 * refused, naming the field.
 */
const MARKER = `LEAKCHECK${randomBytes(6).toString('hex')}`;
const cli = (system: TestSystem, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(__dirname, '../dist/apps/request-api/src/cli.js'), ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: system.env.DATABASE_URL,
      CREDENTIALS_KEKS: system.env.CREDENTIALS_KEKS,
      ...env,
    },
    encoding: 'utf8',
  });

describe('security', () => {
  let system: TestSystem;
  let a: TestAccount;
  let b: TestAccount;
  let bucket: string;
  const seen: string[] = [];
  const call = async <T = Record<string, unknown>>(...args: Parameters<typeof api>) => {
    const res = await api<T>(...args);
    seen.push(JSON.stringify(res.body));
    return res;
  };

  beforeAll(async () => {
    system = await TestSystem.start({ RATE_LIMIT_PER_MINUTE: '40' });
    a = await system.createAccount();
    b = await system.createAccount();
    bucket = await gcs.createBucket();
  });

  afterAll(async () => {
    await system?.stop();
  });

  const markedKey = () => ({ ...makeServiceKey(MARKER), notes: `secret ${MARKER}` });

  it("answers 404 on every route for another account's ids, and changes nothing", async () => {
    const cred = await call<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: a.apiKey,
      body: { serviceKey: markedKey(), bucket },
    });
    expect(cred.status).toBe(201);
    const from = Date.now() + 1;
    await clockPast(from);
    await kcatProduce(a.eventsTopic, [
      JSON.stringify({
        eventName: 'Private',
        ts: 20261127100000,
        profile: { identity: 'a1' },
        eventProps: { secret: 'a-only' },
      }),
    ]);
    const to = Date.now() + 1;
    await clockPast(to);
    const exportId = await createExport(system, a, {
      credentialId: cred.body.id,
      type: 'all_events',
      format: 'json',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
    const done = await exportDone(system, a, exportId);
    const runId = done.runs[0].id;
    const body = { serviceKey: makeServiceKey(), bucket };
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/exports/${exportId}`],
      ['GET', `/v1/exports/${exportId}/runs`],
      ['POST', `/v1/exports/${exportId}/stop`],
      ['POST', `/v1/exports/${exportId}/runs/${runId}/retry`],
      ['PUT', `/v1/credentials/gcp/${cred.body.id}`, body],
      ['DELETE', `/v1/credentials/gcp/${cred.body.id}`],
      [
        'POST',
        '/v1/exports',
        {
          partner: 'gcp',
          credentialId: cred.body.id,
          type: 'all_events',
          frequency: 'recurring',
          intervalHours: 4,
          format: 'json',
        },
      ],
    ];
    for (const [method, path, payload] of attempts) {
      const res = await call(system.api, method, path, { apiKey: b.apiKey, body: payload });
      expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 404`);
    }
    expect(
      (await call<{ items: unknown[] }>(system.api, 'GET', '/v1/exports', { apiKey: b.apiKey })).body.items,
    ).toEqual([]);
    expect(
      (await call<{ items: unknown[] }>(system.api, 'GET', '/v1/credentials/gcp', { apiKey: b.apiKey })).body.items,
    ).toEqual([]);
    const after = await call<ExportBody>(system.api, 'GET', `/v1/exports/${exportId}`, { apiKey: a.apiKey });
    expect(after.body.status).toBe('done');
    expect(
      (await call<{ items: unknown[] }>(system.api, 'GET', '/v1/credentials/gcp', { apiKey: a.apiKey })).body.items,
    ).toHaveLength(1);
  });

  it('replaces and deletes credentials; refuses to delete those an active export uses (409 naming it)', async () => {
    const cred = await call<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: a.apiKey,
      body: { serviceKey: markedKey(), bucket },
    });
    const replaced = await call<{ id: string; clientEmail: string }>(
      system.api,
      'PUT',
      `/v1/credentials/gcp/${cred.body.id}`,
      {
        apiKey: a.apiKey,
        body: {
          serviceKey: JSON.stringify({
            ...markedKey(),
            client_email: 'rotated@bulk-export-test.iam.gserviceaccount.com',
          }),
          bucket,
        },
      },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id: cred.body.id,
      clientEmail: 'rotated@bulk-export-test.iam.gserviceaccount.com',
    });
    const missing = await call<{ code: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: a.apiKey,
      body: { serviceKey: markedKey(), bucket: 'no-such-bucket-anywhere' },
    });
    expect(missing.status).toBe(422);
    const recurring = await createExport(system, a, {
      credentialId: cred.body.id,
      type: 'all_events',
      frequency: 'recurring',
      intervalHours: 24,
      format: 'json',
    });
    const refused = await call<{ message: string }>(system.api, 'DELETE', `/v1/credentials/gcp/${cred.body.id}`, {
      apiKey: a.apiKey,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(recurring);
    await call(system.api, 'POST', `/v1/exports/${recurring}/stop`, { apiKey: a.apiKey });
    const deleted = await api(system.api, 'DELETE', `/v1/credentials/gcp/${cred.body.id}`, { apiKey: a.apiKey });
    expect(deleted.status).toBe(204);
    expect(
      (
        await call(system.api, 'PUT', `/v1/credentials/gcp/${cred.body.id}`, {
          apiKey: a.apiKey,
          body: { serviceKey: makeServiceKey(), bucket },
        })
      ).status,
    ).toBe(404);
  });

  it('re-encrypts every stored key under a new key-encryption key', async () => {
    const fresh = randomBytes(32).toString('base64');
    const keks = `new:${fresh},${system.env.CREDENTIALS_KEKS}`;
    const result = cli(system, ['rotate-keks'], { CREDENTIALS_KEKS: keks });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).rotated).toBeGreaterThan(0);
    const rows: { id: string; kek_id: string; wrapped_key: Buffer; ciphertext: Buffer }[] = await system.db.query(
      'SELECT id, kek_id, wrapped_key, ciphertext FROM gcs_credentials WHERE deleted_at IS NULL',
    );
    const onlyNew = new CredentialCipher(`new:${fresh}`);
    const onlyOld = new CredentialCipher(system.env.CREDENTIALS_KEKS);
    for (const row of rows) {
      expect(row.kek_id).toBe('new');
      const sealed = { kekId: row.kek_id, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext };
      expect(JSON.parse(onlyNew.open(sealed, row.id)).type).toBe('service_account');
      expect(() => onlyOld.open(sealed, row.id)).toThrow();
    }
    // Put the old key back in front so the running services keep working.
    expect(
      cli(system, ['rotate-keks'], { CREDENTIALS_KEKS: `${system.env.CREDENTIALS_KEKS},new:${fresh}` }).status,
    ).toBe(0);
  });

  it('creates, lists and revokes API keys from the operator CLI', async () => {
    const created = cli(system, ['create-api-key', a.id, 'ci']);
    expect(created.status).toBe(0);
    const { keyId, apiKey } = JSON.parse(created.stdout) as { keyId: string; apiKey: string };
    expect(apiKey).toMatch(/^bx_[A-Za-z0-9_-]{32}$/);
    expect((await api(system.api, 'GET', '/v1/exports', { apiKey })).status).toBe(200);
    const listed = cli(system, ['list-api-keys', a.id]);
    expect(listed.stdout).not.toContain(apiKey);
    const entry = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((k) => k.keyId === keyId);
    expect(entry).toMatchObject({ name: 'ci', prefix: apiKey.slice(0, 7), revokedAt: null });
    expect(entry.lastUsedAt).not.toBeNull();
    expect(cli(system, ['revoke-api-key', keyId]).status).toBe(0);
    expect((await api(system.api, 'GET', '/v1/exports', { apiKey })).status).toBe(401);
    const rows: { key_hash: string }[] = await system.db.query('SELECT key_hash FROM api_keys');
    expect(rows.map((r) => r.key_hash).join()).not.toContain(apiKey);
  });

  it('creates an account from the operator CLI only with a time zone that Intl and DuckDB both know', async () => {
    for (const zone of ['Europe/Berln', '+02:00']) {
      const databaseId = `db_tz_${randomBytes(4).toString('hex')}`;
      const refused = cli(system, ['create-account', 'Zoned', databaseId, zone]);
      expect({ status: refused.status, stdout: refused.stdout }).toEqual({ status: 1, stdout: '' });
      expect(refused.stderr).toContain('usage: create-account <name> <databaseId> [timeZone]');
      expect(refused.stderr).toContain(`time zone "${zone}" is not known`);
      expect(await system.db.query('SELECT id FROM accounts WHERE database_id = $1', [databaseId])).toEqual([]);
    }
    const databaseId = `db_tz_${randomBytes(4).toString('hex')}`;
    const created = cli(system, ['create-account', 'Zoned', databaseId, 'europe/berlin']);
    expect(created.status).toBe(0);
    const { accountId } = JSON.parse(created.stdout) as { accountId: string };
    expect(await system.db.query('SELECT time_zone FROM accounts WHERE id = $1', [accountId])).toEqual([
      { time_zone: 'Europe/Berlin' },
    ]);
  });

  it('rejects hostile bodies with 4xx naming the field', async () => {
    const big = await api<{ code: string }>(system.api, 'POST', '/v1/exports', {
      apiKey: b.apiKey,
      body: { partner: 'x'.repeat(1_000_000) },
    });
    expect(big.status).toBe(413);
    const wrongTypes = await api<{ errors: { field: string }[] }>(system.api, 'POST', '/v1/exports', {
      apiKey: b.apiKey,
      body: {
        partner: 'gcp',
        credentialId: 42,
        type: 'select_events',
        events: 'Charged',
        frequency: 'recurring',
        intervalHours: '6',
        format: 'json',
      },
    });
    expect(wrongTypes.status).toBe(400);
    expect(wrongTypes.body.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['credentialId', 'events', 'intervalHours']),
    );
    const bucketNumber = await api<{ errors: { field: string }[] }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: b.apiKey,
      body: { serviceKey: makeServiceKey(), bucket: 12 },
    });
    expect(bucketNumber.status).toBe(400);
    expect(bucketNumber.body.errors.map((e) => e.field)).toContain('bucket');
  });

  it('refuses NUL and lone surrogates in any string of a body with 400 naming the field, and stores nothing', async () => {
    const c = await system.createAccount();
    const cred = await call<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: c.apiKey,
      body: { serviceKey: makeServiceKey(), bucket },
    });
    expect(cred.status).toBe(201);
    const create = {
      partner: 'gcp',
      credentialId: cred.body.id,
      type: 'select_events',
      frequency: 'recurring',
      intervalHours: 6,
      format: 'json',
    };
    const attempts: [string, string, unknown, string][] = [
      ['POST', '/v1/exports', { ...create, events: ['Charged', 'App\u0000Launched'] }, 'events.1'],
      ['POST', '/v1/exports', { ...create, events: ['\ud800'] }, 'events.0'],
      [
        'POST',
        '/v1/credentials/gcp',
        {
          serviceKey: { ...makeServiceKey(), client_email: 'x\u0000@bulk-export-test.iam.gserviceaccount.com' },
          bucket,
        },
        'serviceKey.client_email',
      ],
      [
        'POST',
        '/v1/credentials/gcp',
        { serviceKey: { ...makeServiceKey(), project_id: 'demo\udc00' }, bucket },
        'serviceKey.project_id',
      ],
      [
        'PUT',
        `/v1/credentials/gcp/${cred.body.id}`,
        { serviceKey: makeServiceKey(), bucket: `${bucket}\u0000` },
        'bucket',
      ],
      // A key sent as text holds only the escapes; they become NUL or a surrogate when it is parsed.
      [
        'POST',
        '/v1/credentials/gcp',
        {
          serviceKey: JSON.stringify({
            ...makeServiceKey(),
            client_email: 'x\u0000@bulk-export-test.iam.gserviceaccount.com',
          }),
          bucket,
        },
        'serviceKey.client_email',
      ],
      [
        'POST',
        '/v1/credentials/gcp',
        { serviceKey: JSON.stringify({ ...makeServiceKey(), project_id: 'demo\ud800' }), bucket },
        'serviceKey.project_id',
      ],
    ];
    for (const [method, path, body, field] of attempts) {
      const res = await call<{ message: string; field?: string }>(system.api, method, path, { apiKey: c.apiKey, body });
      expect(`${method} ${path} ${field} → ${res.status}`).toBe(`${method} ${path} ${field} → 400`);
      // Validation names the path in its message; the key parser's error names it as `field`.
      expect(res.body.field ?? res.body.message).toContain(field);
      expect(res.body.message).toContain(field.split('.').pop());
    }
    expect(
      (await call<{ items: unknown[] }>(system.api, 'GET', '/v1/exports', { apiKey: c.apiKey })).body.items,
    ).toEqual([]);
    const credentials = await call<{ items: { bucket: string }[] }>(system.api, 'GET', '/v1/credentials/gcp', {
      apiKey: c.apiKey,
    });
    expect(credentials.body.items.map((i) => i.bucket)).toEqual([bucket]);
  });

  it('refuses __proto__, constructor and prototype in bodies and query strings with 400 naming the property', async () => {
    const c = await system.createAccount();
    const cred = await call<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: c.apiKey,
      body: { serviceKey: makeServiceKey(), bucket },
    });
    expect(cred.status).toBe(201);
    // Raw text: JSON.parse makes these own properties, as an object literal would not.
    const fields = `"partner": "gcp", "credentialId": "${cred.body.id}", "type": "all_events", "frequency": "recurring", "intervalHours": 6, "format": "json"`;
    const attempts: [string, string, string | undefined, string][] = [
      ['POST', '/v1/exports', `{"__proto__": {"format": "csv"}, ${fields}}`, '__proto__'],
      ['POST', '/v1/exports', `{${fields}, "constructor": {"prototype": {"x": 1}}}`, 'constructor'],
      ['POST', '/v1/exports', `{${fields}, "prototype": 1}`, 'prototype'],
      ['GET', '/v1/exports?__proto__=1', undefined, '__proto__'],
      ['GET', '/v1/exports?limit=5&constructor[x]=1', undefined, 'constructor[x]'],
      ['GET', '/v1/exports?prototype=1', undefined, 'prototype'],
      ['GET', '/v1/credentials/gcp?__proto__[x]=1', undefined, '__proto__[x]'],
    ];
    for (const [method, path, body, field] of attempts) {
      const res = await call<{ code: string; message: string }>(system.api, method, path, { apiKey: c.apiKey, body });
      expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 400`);
      expect(res.body).toMatchObject({ code: 'invalid_request', message: `${field}: is not a known field` });
    }
    expect(
      (await call<{ items: unknown[] }>(system.api, 'GET', '/v1/exports', { apiKey: c.apiKey })).body.items,
    ).toEqual([]);
  });

  it('refuses create-export commands with such text or keys: answered as invalid and dead-lettered, nothing stored', async () => {
    const c = await system.createAccount();
    const cred = await call<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: c.apiKey,
      body: { serviceKey: makeServiceKey(), bucket },
    });
    expect(cred.status).toBe(201);
    const key = `hostile-${Date.now()}`;
    const command = (idempotencyKey: string, fields: Record<string, unknown> = {}) =>
      JSON.stringify({
        version: 1,
        type: 'create-export',
        accountId: c.id,
        idempotencyKey,
        export: {
          partner: 'gcp',
          credentialId: cred.body.id,
          type: 'select_events',
          events: ['Charged'],
          frequency: 'recurring',
          intervalHours: 6,
          format: 'json',
          ...fields,
        },
      });
    // [idempotency key, message text (JSON escapes NUL and lone surrogates, so one line each), field named]
    const sent: [string, string, string][] = [
      [`${key}-nul`, command(`${key}-nul`, { events: ['Charged', 'App\u0000Launched'] }), 'export.events.1'],
      [`${key}-surrogate`, command(`${key}-surrogate`, { events: ['\ud800'] }), 'export.events.0'],
      [`${key}-\u0000`, command(`${key}-\u0000`), 'idempotencyKey'],
      [`${key}-proto`, command(`${key}-proto`).replace('{', '{"__proto__": {"x": 1}, '), '__proto__'],
      [
        `${key}-constructor`,
        command(`${key}-constructor`).replace('{"partner"', '{"constructor": {"x": 1}, "partner"'),
        'export.constructor',
      ],
    ];
    await kcatProduce(
      `${system.env.TOPIC_PREFIX}export.commands`,
      sent.map(([, text]) => text),
    );

    type Result = {
      type: string;
      status: string;
      code?: string;
      idempotencyKey?: string;
      errors?: { field: string }[];
    };
    const keys = sent.map(([k]) => k);
    const results = await waitFor('an answer to every hostile command', async () => {
      const all = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`)).map(
        (m) => JSON.parse(m.value) as Result,
      );
      const answers = all.filter((r) => r.type === 'command-result' && keys.includes(r.idempotencyKey ?? ''));
      return answers.length >= sent.length ? answers : undefined;
    });
    for (const [k, , field] of sent) {
      const answer = results.find((r) => r.idempotencyKey === k);
      expect({
        key: k,
        status: answer?.status,
        code: answer?.code,
        fields: answer?.errors?.map((e) => e.field),
      }).toEqual({ key: k, status: 'rejected', code: 'invalid_command', fields: [field] });
    }
    const dead = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`)).map((m) => m.value);
    expect(dead).toEqual(expect.arrayContaining(sent.map(([, text]) => text)));
    expect(await system.db.query('SELECT id FROM exports WHERE account_id = $1', [c.id])).toEqual([]);
    expect((await fetch(`${system.api}/health/ready`)).status).toBe(200);
  });

  it('limits requests per API key with 429 and Retry-After, without touching other keys', async () => {
    let limited: Response | null = null;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await fetch(`${system.api}/v1/exports`, { headers: { authorization: `Bearer ${b.apiKey}` } });
      if (res.status === 429) limited = res;
    }
    expect(limited).not.toBeNull();
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited?.json()) as { code: string }).code).toBe('rate_limited');
    const other = await system.createAccount();
    expect((await api(system.api, 'GET', '/v1/exports', { apiKey: other.apiKey })).status).toBe(200);
  });

  it('holds back an address that keeps sending unknown keys, before the database, but not a key that authenticated', async () => {
    expect((await api(system.api, 'GET', '/v1/exports', { apiKey: a.apiKey })).status).toBe(200);
    const statuses: number[] = [];
    let held: Response | null = null;
    for (let i = 0; i < 40 && !held; i++) {
      const res = await fetch(`${system.api}/v1/exports`, {
        headers: { authorization: `Bearer bx_guess_${i}_${randomBytes(8).toString('hex')}` },
      });
      statuses.push(res.status);
      if (res.status === 429) held = res;
    }
    expect(held).not.toBeNull();
    // AUTH_FAILURES_PER_MINUTE (30) tries, some of them used by the revoked key above.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(30);
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
    const body = (await held?.json()) as { code: string; message: string };
    expect(body).toMatchObject({ code: 'rate_limited' });
    expect(body.message).toContain('unknown or revoked API keys');
    expect(Number(held?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The key that authenticated before goes on working from the same address.
    expect((await api(system.api, 'GET', '/v1/exports', { apiKey: a.apiKey })).status).toBe(200);
  });

  it('never lets the key out: not in responses, logs, Kafka messages or the database in clear', async () => {
    const prefix = system.env.TOPIC_PREFIX;
    const topics = [
      'export.events',
      'export.plan-runs',
      'export.extract-tasks',
      'export.write-tasks',
      'export.dead-letter',
      'export.commands',
    ].map((t) => `${prefix}${t}`);
    const messages = (await Promise.all(topics.map((t) => kcatConsumeAll(t).catch(() => [])))).flat();
    expect(messages.length).toBeGreaterThan(0);
    const dump: { t: string }[] = await system.db.query(`
      SELECT string_agg(t, ' ') AS t FROM (
        SELECT row_to_json(x)::text AS t FROM (SELECT id, account_id, bucket, client_email, project_id, kek_id, encode(wrapped_key, 'escape') w, encode(ciphertext, 'escape') c FROM gcs_credentials) x
        UNION ALL SELECT row_to_json(e)::text FROM exports e
        UNION ALL SELECT row_to_json(r)::text FROM export_runs r
        UNION ALL SELECT row_to_json(o)::text FROM outbox o) all_rows`);
    await system.stop();
    // Every service log (the folder is shared with other suites' files, e.g. the console's screenshots).
    const logs = readdirSync(system.logDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(system.logDir, f), 'utf8'))
      .join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const [where, text] of [
      ['responses', seen.join('\n')],
      ['logs', logs],
      ['kafka', messages.map((m) => `${m.headers} ${m.value}`).join('\n')],
      ['database', dump[0].t],
    ] as const) {
      expect(`${where}: ${text.includes(MARKER)}`).toBe(`${where}: false`);
      expect(`${where}: ${/BEGIN [A-Z ]*PRIVATE KEY/.test(text)}`).toBe(`${where}: false`);
    }
  });
});

import {
  api,
  gcs,
  kcatConsumeAll,
  kcatProduce,
  makeServiceKey,
  TestAccount,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';
import { oneTimeExportBody } from './support/exports';

/** Bad requests get a 4xx that names the problem; nobody sees another account's data. */
describe('REST API: authentication, validation, credentials', () => {
  let system: TestSystem;
  let account: TestAccount;
  let other: TestAccount;
  let bucket: string;
  let credentialId: string;
  const day = 86_400_000;
  const valid = () => oneTimeExportBody(credentialId);

  beforeAll(async () => {
    system = await TestSystem.start({}, ['request-api']);
    account = await system.createAccount();
    other = await system.createAccount();
    bucket = await gcs.createBucket();
    const saved = await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', {
      apiKey: account.apiKey,
      body: { serviceKey: makeServiceKey(), bucket },
    });
    expect(saved.status).toBe(201);
    credentialId = saved.body.id;
  });

  afterAll(async () => {
    await system?.stop();
  });

  describe('authentication', () => {
    it.each([
      ['no header', undefined],
      ['an unknown key', 'Bearer bx_not_a_real_key'],
      ['a malformed header', 'Basic abc'],
    ])('answers 401 for %s', async (_, authorization) => {
      const res = await api(system.api, 'GET', '/v1/exports', { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'unauthenticated' });
    });

    it("answers 404 for another account's export and credentials", async () => {
      const created = await api<{ id: string }>(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: valid(),
      });
      expect(created.status).toBe(201);
      const foreign = await api(system.api, 'GET', `/v1/exports/${created.body.id}`, { apiKey: other.apiKey });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toMatchObject({ code: 'not_found' });
      const list = await api<{ items: unknown[] }>(system.api, 'GET', '/v1/exports', { apiKey: other.apiKey });
      expect(list.body.items).toEqual([]);
      const useForeignCredentials = await api(system.api, 'POST', '/v1/exports', {
        apiKey: other.apiKey,
        body: valid(),
      });
      expect(useForeignCredentials.status).toBe(404);
      const credentials = await api<{ items: unknown[] }>(system.api, 'GET', '/v1/credentials/gcp', {
        apiKey: other.apiKey,
      });
      expect(credentials.body.items).toEqual([]);
    });
  });

  describe('creating an export', () => {
    it.each([
      ['a missing field', (b: Record<string, unknown>) => ({ ...b, format: undefined }), 400, 'format'],
      ['an unknown field', (b: Record<string, unknown>) => ({ ...b, color: 'blue' }), 400, 'color'],
      ['an unknown format', (b: Record<string, unknown>) => ({ ...b, format: 'yaml' }), 400, 'format'],
      ['an unknown type', (b: Record<string, unknown>) => ({ ...b, type: 'everything' }), 400, 'type'],
      ['a date that is not ISO-8601', (b: Record<string, unknown>) => ({ ...b, from: 'yesterday' }), 400, 'from'],
      [
        'a window older than 45 days',
        (b: Record<string, unknown>) => ({ ...b, from: new Date(Date.now() - 46 * day).toISOString() }),
        400,
        'from',
      ],
      ['a reversed window', (b: Record<string, unknown>) => ({ ...b, from: b.to, to: b.from }), 400, 'from'],
      [
        'a window ending in the future',
        (b: Record<string, unknown>) => ({ ...b, to: new Date(Date.now() + day).toISOString() }),
        400,
        'to',
      ],
      [
        'select_events without events',
        (b: Record<string, unknown>) => ({ ...b, type: 'select_events' }),
        400,
        'events',
      ],
      [
        'repeated event names',
        (b: Record<string, unknown>) => ({ ...b, type: 'select_events', events: ['a', 'a'] }),
        400,
        'events',
      ],
      [
        'a compression that does not fit the format',
        (b: Record<string, unknown>) => ({ ...b, compression: 'zstd' }),
        400,
        'compression',
      ],
      [
        'a malformed credential id',
        (b: Record<string, unknown>) => ({ ...b, credentialId: '../../etc' }),
        400,
        'credentialId',
      ],
    ])('answers 4xx naming the field for %s', async (_, change, status, field) => {
      const res = await api<{ code: string; message: string; field?: string }>(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: JSON.parse(JSON.stringify(change(valid()))),
      });
      expect(res.status).toBe(status);
      expect(res.body.message).toContain(field);
    });

    // ISO 8601 forms that IsISO8601 let through and Date.parse cannot read (they gave 500s or named the wrong field).
    const unreadable = ['2026-W48-1', '2026-330', '20261128T100000Z', '2026-11-28T10Z', '2026-11-28T10:00:00,5Z'];
    const recurring = (b: Record<string, unknown>) => ({
      ...b,
      frequency: 'recurring',
      from: undefined,
      to: undefined,
      intervalHours: 6,
    });
    it.each(
      unreadable.flatMap(
        (date) =>
          [
            ['from', date, (b: Record<string, unknown>) => ({ ...b, from: date })],
            ['to', date, (b: Record<string, unknown>) => ({ ...b, to: date })],
            ['startAt', date, (b: Record<string, unknown>) => ({ ...recurring(b), startAt: date })],
          ] as const,
      ),
    )('answers 400 naming %s for the date %s, which is ISO 8601 but not RFC 3339', async (field, _, change) => {
      const res = await api<{ code: string; errors: { field: string; message: string }[] }>(
        system.api,
        'POST',
        '/v1/exports',
        {
          apiKey: account.apiKey,
          body: JSON.parse(JSON.stringify(change(valid()))),
        },
      );
      expect({ status: res.status, code: res.body.code, fields: res.body.errors?.map((e) => e.field) }).toEqual({
        status: 400,
        code: 'invalid_request',
        fields: [field],
      });
      expect(res.body.errors[0].message).toContain('RFC 3339');
    });

    it('takes a date-time with an offset other than Z', async () => {
      const from = new Date(Date.now() - 2 * day);
      const local = new Date(from.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
      const res = await api<{ from: string }>(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: { ...valid(), from: local },
      });
      expect(res.status).toBe(201);
      expect(res.body.from).toBe(from.toISOString());
    });

    it('answers and dead-letters a create-export command with such a date, and goes on with the next command', async () => {
      const commands = `${system.env.TOPIC_PREFIX}export.commands`;
      const key = `date-${Date.now()}`;
      const command = (idempotencyKey: string, fields: Record<string, unknown>) =>
        JSON.stringify({
          version: 1,
          type: 'create-export',
          accountId: account.id,
          idempotencyKey,
          export: { ...recurring(valid()), ...fields },
        });
      const bad = unreadable.map((date, i) => command(`${key}-${i}`, { startAt: date }));
      const good = command(`${key}-good`, {});
      await kcatProduce(commands, [...bad, good]);

      type Result = {
        type: string;
        status: string;
        code?: string;
        idempotencyKey?: string;
        errors?: { field: string }[];
      };
      const results = await waitFor('an answer to every command', async () => {
        const all = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`)).map(
          (m) => JSON.parse(m.value) as Result,
        );
        const answers = all.filter((r) => r.type === 'command-result' && r.idempotencyKey?.startsWith(key));
        return answers.length >= bad.length + 1 ? answers : undefined;
      });
      for (const i of unreadable.keys()) {
        const answer = results.find((r) => r.idempotencyKey === `${key}-${i}`);
        expect({ status: answer?.status, code: answer?.code, fields: answer?.errors?.map((e) => e.field) }).toEqual({
          status: 'rejected',
          code: 'invalid_command',
          fields: ['export.startAt'],
        });
      }
      expect(results.find((r) => r.idempotencyKey === `${key}-good`)?.status).toBe('accepted');
      const dead = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`)).map((m) => m.value);
      expect(dead).toEqual(expect.arrayContaining(bad));
    });

    it('answers 404 for credentials that do not exist', async () => {
      const res = await api(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: { ...valid(), credentialId: '01JDQ7Z8X9K2M3N4P5Q6R7S8T9' },
      });
      expect(res.status).toBe(404);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const res = await api(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: '{"partner":',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
    });
  });

  describe('saving credentials', () => {
    it.each([
      [
        'key that is not JSON',
        () => ({ serviceKey: 'not json', bucket: 'x-bucket' }),
        'invalid_service_key',
        'not valid JSON',
      ],
      [
        'key of the wrong type',
        () => ({ serviceKey: { ...makeServiceKey(), type: 'authorized_user' }, bucket: 'x-bucket' }),
        'invalid_service_key',
        'service_account',
      ],
      [
        'invalid bucket name',
        () => ({ serviceKey: makeServiceKey(), bucket: 'Bad_Bucket!' }),
        'invalid_bucket_name',
        'Bad_Bucket!',
      ],
      [
        'bucket that does not exist',
        () => ({ serviceKey: makeServiceKey(), bucket: 'no-such-bucket-here' }),
        'bucket_not_found',
        'names must match exactly',
      ],
    ])('answers 422 for a %s', async (_, body, code, words) => {
      const res = await api<{ code: string; message: string }>(system.api, 'POST', '/v1/credentials/gcp', {
        apiKey: account.apiKey,
        body: body(),
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe(code);
      expect(res.body.message).toContain(words);
    });

    it('takes the key as text with a BOM and whitespace, and never returns it', async () => {
      const key = makeServiceKey('MARKER');
      const res = await api<Record<string, unknown>>(system.api, 'POST', '/v1/credentials/gcp', {
        apiKey: account.apiKey,
        body: { serviceKey: `\uFEFF\n  ${JSON.stringify(key)}  \n`, bucket },
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['bucket', 'clientEmail', 'createdAt', 'id', 'projectId']);
      const list = await api(system.api, 'GET', '/v1/credentials/gcp', { apiKey: account.apiKey });
      expect(JSON.stringify(list.body)).not.toContain('PRIVATE KEY');
      // The probe object was deleted again.
      expect((await gcs.list(bucket)).filter((o) => o.name.startsWith('.bulk-export-probe'))).toEqual([]);
      // Stored encrypted: the database does not hold the key in clear.
      const rows: { ciphertext: Buffer }[] = await system.db.query('SELECT ciphertext FROM gcs_credentials');
      for (const row of rows) expect(row.ciphertext.toString('latin1')).not.toContain('PRIVATE KEY');
    });
  });
});

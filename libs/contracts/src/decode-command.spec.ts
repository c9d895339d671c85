import { decodeExportCommand } from './decode-command';

const create = {
  version: 1,
  type: 'create-export',
  accountId: '01JDQ7Z8X9K2M3N4P5Q6R7S8T9',
  idempotencyKey: 'cmd-1',
  export: {
    partner: 'gcp',
    credentialId: '01JDQ7Z8X9K2M3N4P5Q6R7S8TA',
    type: 'select_events',
    events: ['Charged'],
    frequency: 'recurring',
    intervalHours: 6,
    format: 'csv',
  },
};
const decode = (text: string) => decodeExportCommand(Buffer.from(text));

describe('decodeExportCommand', () => {
  it('accepts a valid create-export command', () => {
    expect(decode(JSON.stringify(create))).toEqual({
      ok: true,
      value: expect.objectContaining({ idempotencyKey: 'cmd-1' }),
    });
  });

  it.each([
    [
      'a NUL in an event name',
      { ...create, export: { ...create.export, events: ['Charged', 'App\u0000Launched'] } },
      'export.events.1: must not contain the NUL character',
    ],
    [
      'a lone surrogate in the idempotency key',
      { ...create, idempotencyKey: 'cmd-\ud800' },
      'idempotencyKey: must be valid Unicode',
    ],
    [
      'an ISO 8601 week date, which Date.parse cannot read',
      { ...create, export: { ...create.export, startAt: '2026-W48-1' } },
      'export.startAt: startAt must be an RFC 3339 date-time',
    ],
  ])('refuses %s, naming the field', (_, command, reason) => {
    const result = decode(JSON.stringify(command));
    expect(result.ok).toBe(false);
    expect((result as { reason: string }).reason).toContain(reason);
  });

  // Spliced into the text: JSON.parse makes them own properties, which class-transformer skips.
  it.each([
    ['{"__proto__": {"x": 1}, ', '__proto__'],
    ['{"constructor": 1, ', 'constructor'],
    ['{"prototype": 1, ', 'prototype'],
  ])('refuses the unknown property in %s…', (start, field) => {
    const result = decode(JSON.stringify(create).replace('{', start));
    expect(result).toEqual({ ok: false, reason: `${field}: is not a known field` });
  });

  it('refuses a prototype key inside the export', () => {
    const result = decode(JSON.stringify(create).replace('{"partner"', '{"constructor": {"x": 1}, "partner"'));
    expect(result).toEqual({ ok: false, reason: 'export.constructor: is not a known field' });
  });

  const webhook = {
    version: 1,
    type: 'create-webhook',
    accountId: '01JDQ7Z8X9K2M3N4P5Q6R7S8T9',
    idempotencyKey: 'wh-1',
    webhook: { url: 'https://hooks.example.com/x', events: ['run.done', 'export.paused'] },
    secret: 's'.repeat(32),
  };

  it('accepts create-webhook and delete-webhook commands', () => {
    expect(decode(JSON.stringify(webhook))).toEqual({
      ok: true,
      value: expect.objectContaining({ type: 'create-webhook', secret: 's'.repeat(32) }),
    });
    expect(
      decode(
        JSON.stringify({
          version: 1,
          type: 'delete-webhook',
          accountId: webhook.accountId,
          webhookId: '01JDQ7Z8X9K2M3N4P5Q6R7S8TB',
        }),
      ).ok,
    ).toBe(true);
  });

  it.each([
    [
      'an unknown event',
      { ...webhook, webhook: { ...webhook.webhook, events: ['run.started'] } },
      'webhook.events: each of events must be one of',
    ],
    ['no events', { ...webhook, webhook: { ...webhook.webhook, events: [] } }, 'webhook.events'],
    ['a short secret', { ...webhook, secret: 'short' }, 'secret: secret must be 32 to 200 printable ASCII characters'],
    ['no url', { ...webhook, webhook: { events: ['run.done'] } }, 'webhook.url'],
    [
      'an unknown type',
      { ...webhook, type: 'pause-webhook' },
      'type: must be "create-export", "stop-export", "resume-export", "create-webhook" or "delete-webhook"',
    ],
  ])('refuses a webhook command with %s, naming the field', (_, command, reason) => {
    const result = decode(JSON.stringify(command));
    expect(result.ok).toBe(false);
    expect((result as { reason: string }).reason).toContain(reason);
  });
});

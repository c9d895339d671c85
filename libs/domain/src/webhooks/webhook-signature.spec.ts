import { createHmac } from 'node:crypto';
import { webhookEventType } from './webhook-events';
import { nextDeliveryAttemptAt } from './webhook-retry';
import { signWebhook } from './webhook-signature';

describe('signWebhook', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> keyed by the secret', () => {
    const body = '{"id":"evt_1","type":"run.done"}';
    const expected = createHmac('sha256', 'whsec_test').update(`1764400000.${body}`).digest('hex');
    expect(signWebhook('whsec_test', 1764400000, body)).toBe(`t=1764400000,v1=${expected}`);
    expect(signWebhook('whsec_other', 1764400000, body)).not.toBe(`t=1764400000,v1=${expected}`);
    expect(signWebhook('whsec_test', 1764400001, body)).not.toContain(expected);
  });
});

describe('webhookEventType', () => {
  it('maps the status changes a customer hears about, and no others', () => {
    expect(webhookEventType({ runId: 'r', status: 'done' })).toBe('run.done');
    expect(webhookEventType({ runId: 'r', status: 'failed' })).toBe('run.failed');
    for (const status of ['pending', 'running', 'cancelled'])
      expect(webhookEventType({ runId: 'r', status })).toBeNull();
    expect(webhookEventType({ status: 'done' })).toBe('export.done');
    expect(webhookEventType({ status: 'failed' })).toBe('export.failed');
    expect(webhookEventType({ status: 'stopped' })).toBe('export.stopped');
    expect(webhookEventType({ status: 'paused' })).toBe('export.paused');
    for (const status of ['pending', 'running']) expect(webhookEventType({ status })).toBeNull();
  });
});

describe('nextDeliveryAttemptAt', () => {
  const day = 86_400_000;
  it('doubles from the base, at most an hour apart, and gives up a day after the delivery was created', () => {
    expect(nextDeliveryAttemptAt(1, 0, 0, 1000, day)?.getTime()).toBe(1000);
    expect(nextDeliveryAttemptAt(3, 0, 10_000, 1000, day)?.getTime()).toBe(14_000);
    expect(nextDeliveryAttemptAt(30, 0, 10_000, 1000, day)?.getTime()).toBe(10_000 + 3_600_000);
    expect(nextDeliveryAttemptAt(20, 0, day - 5, 1000, day)?.getTime()).toBe(day);
    expect(nextDeliveryAttemptAt(21, 0, day, 1000, day)).toBeNull();
  });
});

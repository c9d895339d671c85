import { randomBytes } from 'node:crypto';
import { InvalidConfiguration, loadConfig } from './load-config';

const base = { DATABASE_URL: 'postgres://u:secret-password@db:5432/x' };

describe('loadConfig', () => {
  it('applies defaults, service defaults and the environment', () => {
    const config = loadConfig({ ...base, MAX_FILE_BYTES: '2048' }, { defaults: { HTTP_PORT: 3002 } });
    expect(config).toMatchObject({
      HTTP_PORT: 3002,
      MAX_FILE_BYTES: 2048,
      KAFKA_BROKERS: 'localhost:9092',
      EVENTS_TOPIC_TEMPLATE: 'events.{accountId}',
    });
  });
  it('names every bad or missing setting', () => {
    try {
      loadConfig(
        { MAX_FILE_BYTES: 'lots', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'nope', OUTBOX_RETENTION_MS: '-1' },
        { defaults: { HTTP_PORT: 1 } },
      );
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidConfiguration);
      const problems = (e as InvalidConfiguration).problems.join('\n');
      for (const name of ['DATABASE_URL', 'MAX_FILE_BYTES', 'LOG_LEVEL', 'KAFKA_BROKERS', 'OUTBOX_RETENTION_MS'])
        expect(problems).toContain(name);
    }
  });
  it('requires what a service needs and checks key-encryption keys without echoing them', () => {
    expect(() => loadConfig(base, { defaults: { HTTP_PORT: 1 }, require: ['CREDENTIALS_KEKS'] })).toThrow(
      'CREDENTIALS_KEKS is required',
    );
    const short = Buffer.from('too short').toString('base64');
    try {
      loadConfig({ ...base, CREDENTIALS_KEKS: `k1:${short}` }, { defaults: { HTTP_PORT: 1 } });
      throw new Error('expected an error');
    } catch (e) {
      expect((e as Error).message).toContain('must be 32 bytes');
      expect((e as Error).message).not.toContain(short);
    }
    const good = randomBytes(32).toString('base64');
    expect(
      loadConfig({ ...base, CREDENTIALS_KEKS: `k2:${good},k1:${good}` }, { defaults: { HTTP_PORT: 1 } })
        .CREDENTIALS_KEKS,
    ).toContain('k2:');
  });
  it('never echoes the database URL, which holds a password', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://u:secret-password@db/x' }, { defaults: { HTTP_PORT: 1 } });
    } catch (e) {
      expect((e as Error).message).toContain('DATABASE_URL');
      expect((e as Error).message).not.toContain('secret-password');
    }
  });
  it('reads the webhook allow-list and refuses one that is not host names', () => {
    expect(
      loadConfig(
        { ...base, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, receiver.internal,[::1]' },
        { defaults: { HTTP_PORT: 1 } },
      ).WEBHOOK_ALLOWED_HOSTS,
    ).toBe('127.0.0.1, receiver.internal,[::1]');
    expect(() => loadConfig({ ...base, WEBHOOK_ALLOWED_HOSTS: 'https://x/y' }, { defaults: { HTTP_PORT: 1 } })).toThrow(
      'WEBHOOK_ALLOWED_HOSTS',
    );
    expect(loadConfig(base, { defaults: { HTTP_PORT: 1 } })).toMatchObject({
      WEBHOOK_RETRY_FOR_MS: 86_400_000,
      WEBHOOK_RETRY_BASE_MS: 30_000,
    });
  });
});

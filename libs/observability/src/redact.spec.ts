import { redact, REDACTED } from './redact';
import { Logger } from './logger';

describe('redaction', () => {
  it('hides secret fields, private keys, bearer tokens and URL passwords, at any depth', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n';
    expect(
      redact({
        private_key: 'x',
        nested: { serviceKey: { a: 1 }, note: `key ${pem}`, header: 'Bearer bx_abc.def', url: 'postgres://u:pw@h/db' },
        list: [{ password: 'p' }],
      }),
    ).toEqual({
      private_key: REDACTED,
      nested: {
        serviceKey: REDACTED,
        note: `key ${REDACTED}\n`,
        header: `Bearer ${REDACTED}`,
        url: `postgres://u:${REDACTED}@h/db`,
      },
      list: [{ password: REDACTED }],
    });
  });
  it('is applied by the logger to messages, fields and errors', () => {
    const lines: string[] = [];
    const logger = new Logger('test', 'debug', { runId: 'r1' }, { write: (l) => void lines.push(l) });
    const error = new Error('failed with -----BEGIN RSA PRIVATE KEY-----abc-----END RSA PRIVATE KEY-----');
    logger.child({ exportId: 'e1' }).error('saw Bearer bx_secret', { error, credentials_json: '{}' });
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: 'error',
      service: 'test',
      runId: 'r1',
      exportId: 'e1',
      credentials_json: REDACTED,
    });
    expect(lines[0]).not.toContain('bx_secret');
    expect(lines[0]).not.toContain('abc');
  });
});

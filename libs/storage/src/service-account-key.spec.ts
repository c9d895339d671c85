import { generateKeyPairSync } from 'node:crypto';
import { InvalidServiceKey } from '@bulk-export/domain';
import { parseServiceAccountKey } from './service-account-key';
import { checkBucketName } from './bucket-name';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const key = {
  type: 'service_account',
  project_id: 'demo',
  client_email: 'exporter@demo.iam.gserviceaccount.com',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

describe('parseServiceAccountKey', () => {
  it('takes the key as an object, as text, with a BOM and whitespace', () => {
    expect(parseServiceAccountKey(key).client_email).toBe(key.client_email);
    expect(parseServiceAccountKey(`\uFEFF  ${JSON.stringify(key)}\n`).project_id).toBe('demo');
  });
  it.each([
    ['not json', 'not valid JSON'],
    [[], 'must be a JSON object'],
    [{ ...key, type: 'authorized_user' }, '"type" must be "service_account"'],
    [{ ...key, private_key: undefined }, 'no "private_key"'],
    [{ ...key, client_email: 'nobody' }, 'not an email address'],
    [{ ...key, private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }, 'not a PEM private key'],
  ])('refuses %p saying "%s"', (input, message) => {
    expect(() => parseServiceAccountKey(input)).toThrow(InvalidServiceKey);
    expect(() => parseServiceAccountKey(input)).toThrow(message);
  });
  it.each([
    ['client_email', 'exporter\\u0000@demo.iam.gserviceaccount.com', 'must not contain the NUL character'],
    ['project_id', 'demo\\ud800', 'must be valid Unicode'],
  ])(
    'refuses a key given as text whose %s holds text PostgreSQL cannot store (400, naming the field)',
    (field, escaped, message) => {
      const text = JSON.stringify({ ...key, [field]: 'PLACEHOLDER' }).replace('PLACEHOLDER', escaped);
      expect(() => parseServiceAccountKey(text)).toThrow(
        expect.objectContaining({
          kind: 'invalid',
          field: `serviceKey.${field}`,
          message: expect.stringContaining(`"${field}" ${message}`),
        }),
      );
    },
  );
  it('never puts the private key into its error messages', () => {
    try {
      parseServiceAccountKey({ ...key, type: 'x' });
    } catch (e) {
      expect((e as Error).message).not.toContain('PRIVATE KEY');
    }
  });
});

describe('checkBucketName', () => {
  it.each(['my-bucket', 'a.b.c', 'exports_2026'])('accepts %s', (name) => expect(checkBucketName(name)).toBe(name));
  it.each(['ab', 'My-Bucket', '-abc', 'abc-', 'a..b', '192.168.1.1', 'googbucket', 'my-google-bucket', 'a b c'])(
    'refuses %s',
    (name) => {
      expect(() => checkBucketName(name)).toThrow('is not valid');
    },
  );
});

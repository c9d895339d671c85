import { createPrivateKey } from 'node:crypto';
import { InvalidField, InvalidServiceKey, textProblem } from '@bulk-export/domain';

/** The fields of a Google service-account key that we use. */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  client_id?: string;
  [other: string]: unknown;
}

/**
 * Parses what a customer pasted: the key as a JSON object or as text (surrounding
 * whitespace and a UTF-8 BOM tolerated). Errors say what is wrong without echoing the key.
 */
export function parseServiceAccountKey(input: unknown): ServiceAccountKey {
  let value = input;
  if (typeof value === 'string') {
    const text = value.replace(/^\uFEFF/, '').trim();
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidServiceKey(
        'the service key is not valid JSON: paste the whole key file as downloaded from Google Cloud',
        'serviceKey',
      );
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidServiceKey(
      'the service key must be a JSON object (the key file of a service account)',
      'serviceKey',
    );
  }
  const key = value as Record<string, unknown>;
  if (key.type !== 'service_account') {
    throw new InvalidServiceKey(
      'the key is not a service-account key: its "type" must be "service_account"',
      'serviceKey',
    );
  }
  for (const field of ['project_id', 'client_email', 'private_key'] as const) {
    if (typeof key[field] !== 'string' || (key[field] as string).trim() === '') {
      throw new InvalidServiceKey(`the service-account key has no "${field}"`, 'serviceKey');
    }
    // The edge checks every string of a request, but a key sent as text holds only escapes until
    // it is parsed here; project_id and client_email are stored in clear.
    const problem = textProblem(key[field] as string);
    if (problem) throw new InvalidField(`serviceKey.${field}`, `the service-account key's "${field}" ${problem}`);
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(key.client_email as string)) {
    throw new InvalidServiceKey('the service-account key\'s "client_email" is not an email address', 'serviceKey');
  }
  try {
    const parsed = createPrivateKey({ key: key.private_key as string, format: 'pem' });
    if (parsed.type !== 'private') throw new Error('not private');
  } catch {
    throw new InvalidServiceKey('the service-account key\'s "private_key" is not a PEM private key', 'serviceKey');
  }
  return key as ServiceAccountKey;
}

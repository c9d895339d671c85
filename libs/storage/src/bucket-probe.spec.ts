import { keyRefusal } from './bucket-probe';

describe("Google's refusals of a service-account key", () => {
  const tokenError = (status: number, data: unknown) =>
    Object.assign(new Error('token request failed'), { response: { status, data } });

  it('recognises a deleted or disabled key by the token endpoint’s error code', () => {
    expect(keyRefusal(tokenError(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }))).toBe(
      'invalid_grant: Invalid JWT Signature.',
    );
    expect(
      keyRefusal(tokenError(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' })),
    ).toBe('invalid_client: The OAuth client was not found.');
    expect(keyRefusal(tokenError(401, { error: 'unauthorized_client' }))).toBe('unauthorized_client');
  });

  it('leaves every other error to the caller (an outage is not the key’s fault)', () => {
    expect(keyRefusal(tokenError(503, 'Service Unavailable'))).toBeNull();
    expect(keyRefusal(tokenError(403, { error: { code: 403, message: 'forbidden' } }))).toBeNull();
    expect(keyRefusal(new Error('socket hang up'))).toBeNull();
    expect(keyRefusal(undefined)).toBeNull();
    // Google says invalid_grant when this server's clock is off too: not the key's fault.
    expect(
      keyRefusal(
        tokenError(400, {
          error: 'invalid_grant',
          error_description:
            'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
        }),
      ),
    ).toBeNull();
  });
});

import { randomBytes } from 'node:crypto';
import { CredentialCipher } from './credential-cipher';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');

describe('CredentialCipher', () => {
  it('opens what it sealed, and the blobs do not contain the secret', () => {
    const cipher = new CredentialCipher(`k1:${k1}`);
    const sealed = cipher.seal('{"private_key":"SECRET-MARKER"}', 'rec1');
    expect(sealed.kekId).toBe('k1');
    expect(Buffer.concat([sealed.wrappedKey, sealed.ciphertext]).toString('latin1')).not.toContain('SECRET-MARKER');
    expect(cipher.open(sealed, 'rec1')).toBe('{"private_key":"SECRET-MARKER"}');
  });
  it('refuses a blob moved to another record or tampered with', () => {
    const cipher = new CredentialCipher(`k1:${k1}`);
    const sealed = cipher.seal('secret', 'rec1');
    expect(() => cipher.open(sealed, 'rec2')).toThrow();
    const tampered = { ...sealed, ciphertext: Buffer.from(sealed.ciphertext) };
    tampered.ciphertext[tampered.ciphertext.length - 1] ^= 1;
    expect(() => cipher.open(tampered, 'rec1')).toThrow();
  });
  it('rotates: a new active key still opens old secrets and re-wraps them', () => {
    const old = new CredentialCipher(`k1:${k1}`).seal('secret', 'rec1');
    const rotated = new CredentialCipher(`k2:${k2},k1:${k1}`);
    expect(rotated.open(old, 'rec1')).toBe('secret');
    const rewrapped = rotated.rewrap(old, 'rec1');
    expect(rewrapped.kekId).toBe('k2');
    expect(new CredentialCipher(`k2:${k2}`).open(rewrapped, 'rec1')).toBe('secret');
  });
});

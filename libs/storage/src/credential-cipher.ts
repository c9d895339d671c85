import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What is stored for a secret: which key-encryption key wrapped its data key, and both blobs. */
export interface SealedSecret {
  kekId: string;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Envelope encryption with AES-256-GCM: each secret gets a fresh 32-byte data key; the
 * data key is wrapped by a key-encryption key (KEK) from the environment. The record id
 * is bound as associated data, so a blob copied onto another row does not decrypt.
 * The first KEK seals; every configured KEK can open (rotation).
 */
export class CredentialCipher {
  private readonly keks: Map<string, Buffer>;
  private readonly activeId: string;

  constructor(keks: string) {
    const entries = keks.split(',').map((entry) => {
      const [id, key] = entry.split(':');
      return [id, Buffer.from(key, 'base64')] as const;
    });
    if (entries.length === 0 || entries.some(([, k]) => k.length !== 32)) {
      throw new Error('every key-encryption key must be 32 bytes');
    }
    this.keks = new Map(entries);
    this.activeId = entries[0][0];
  }

  get activeKekId(): string {
    return this.activeId;
  }

  seal(plaintext: string, recordId: string): SealedSecret {
    const dataKey = randomBytes(32);
    const aad = Buffer.from(recordId, 'utf8');
    return {
      kekId: this.activeId,
      wrappedKey: encrypt(this.kek(this.activeId), dataKey, aad),
      ciphertext: encrypt(dataKey, Buffer.from(plaintext, 'utf8'), aad),
    };
  }

  open(sealed: SealedSecret, recordId: string): string {
    const aad = Buffer.from(recordId, 'utf8');
    const dataKey = decrypt(this.kek(sealed.kekId), sealed.wrappedKey, aad);
    return decrypt(dataKey, sealed.ciphertext, aad).toString('utf8');
  }

  /** Re-wraps the data key under the active KEK; the ciphertext stays as it is. */
  rewrap(sealed: SealedSecret, recordId: string): SealedSecret {
    if (sealed.kekId === this.activeId) return sealed;
    const aad = Buffer.from(recordId, 'utf8');
    const dataKey = decrypt(this.kek(sealed.kekId), sealed.wrappedKey, aad);
    return {
      kekId: this.activeId,
      wrappedKey: encrypt(this.kek(this.activeId), dataKey, aad),
      ciphertext: sealed.ciphertext,
    };
  }

  private kek(id: string): Buffer {
    const key = this.keks.get(id);
    if (!key) throw new Error(`key-encryption key "${id}" is not configured`);
    return key;
  }
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, blob: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, IV_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

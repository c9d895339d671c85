import { Injectable } from '@nestjs/common';
import { newId, NotFound } from '@bulk-export/domain';
import { CredentialsRepository, GcsCredential } from '@bulk-export/persistence';
import {
  checkBucketName,
  CredentialCipher,
  GcsClientFactory,
  parseServiceAccountKey,
  probeBucket,
} from '@bulk-export/storage';

export interface SaveCredential {
  accountId: string;
  serviceKey: unknown;
  bucket: string;
  /** Replace these credentials (a key rotated on the customer's side) instead of adding new ones. */
  replaceId?: string;
}

/**
 * Validates a service-account key and bucket for real — the key parses, the bucket name
 * is valid, the bucket exists under exactly that name, a probe object can be written and
 * deleted — then stores the key encrypted. The first failure is reported.
 */
@Injectable()
export class SaveCredentialUseCase {
  constructor(
    private readonly credentials: CredentialsRepository,
    private readonly cipher: CredentialCipher,
    private readonly clients: GcsClientFactory,
  ) {}

  async execute(command: SaveCredential): Promise<GcsCredential> {
    const existing = command.replaceId
      ? await this.credentials.findForAccount(command.accountId, command.replaceId)
      : null;
    if (command.replaceId && !existing) throw new NotFound('credentials', command.replaceId);
    const key = parseServiceAccountKey(command.serviceKey);
    const bucket = checkBucketName(command.bucket);
    await probeBucket(this.clients.forKey(key), bucket, key.client_email);
    const id = existing?.id ?? newId();
    const sealed = this.cipher.seal(JSON.stringify(key), id);
    const credential = Object.assign(existing ?? new GcsCredential(), {
      id,
      accountId: command.accountId,
      bucket,
      clientEmail: key.client_email,
      projectId: key.project_id,
      deletedAt: null,
      ...sealed,
    });
    return this.credentials.save(credential);
  }
}

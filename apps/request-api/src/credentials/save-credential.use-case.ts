import { Injectable } from '@nestjs/common';
import { newId } from '@bulk-export/domain';
import { CredentialsRepository, GcsCredential } from '@bulk-export/persistence';
import { checkBucketName, CredentialCipher, GcsClientFactory, parseServiceAccountKey, probeBucket } from '@bulk-export/storage';

export interface SaveCredential {
  accountId: string;
  serviceKey: unknown;
  bucket: string;
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
    const key = parseServiceAccountKey(command.serviceKey);
    const bucket = checkBucketName(command.bucket);
    await probeBucket(this.clients.forKey(key), bucket, key.client_email);
    const id = newId();
    const sealed = this.cipher.seal(JSON.stringify(key), id);
    const credential = Object.assign(new GcsCredential(), {
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

import { Injectable } from '@nestjs/common';
import { Storage } from '@google-cloud/storage';
import { Export, CredentialsRepository } from '@bulk-export/persistence';
import {
  CredentialCipher,
  GcsClientFactory,
  httpStatus,
  objectGenerations,
  parseServiceAccountKey,
} from '@bulk-export/storage';
import { Logger } from '@bulk-export/observability';

/** The customer's bucket of an export, opened with its saved key. */
export interface ExportBucketHandle {
  storage: Storage;
  bucket: string;
}

@Injectable()
export class ExportBucket {
  constructor(
    private readonly credentials: CredentialsRepository,
    private readonly cipher: CredentialCipher,
    private readonly clients: GcsClientFactory,
  ) {}

  async open(exportRow: Export): Promise<ExportBucketHandle> {
    const credential = await this.credentials.findById(exportRow.credentialId);
    if (!credential) throw new Error("the export's credentials were deleted");
    const key = parseServiceAccountKey(this.cipher.open(credential, credential.id));
    return { storage: this.clients.forKey(key), bucket: credential.bucket };
  }

  /**
   * The generation of each object under `prefix` now: what a task may replace (uploadFile's
   * precondition; 0 for an object that does not exist yet) and delete. A stale worker, one
   * that lost its task and works on, then can neither overwrite nor delete what a newer one
   * wrote. Null without the permission to list the bucket: uploads then go without
   * preconditions and nothing is deleted (the task claim still keeps a stale worker from
   * recording anything).
   */
  async generations(handle: ExportBucketHandle, prefix: string, log: Logger): Promise<Map<string, string> | null> {
    try {
      return await objectGenerations(handle.storage, handle.bucket, prefix);
    } catch (e) {
      if (httpStatus(e) !== 403) throw e;
      log.warn(
        "the key may not list the bucket: uploads replace objects without generation preconditions, and an earlier attempt's extra files stay",
        { error: e },
      );
      return null;
    }
  }
}

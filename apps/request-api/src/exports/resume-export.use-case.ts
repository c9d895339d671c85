import { Inject, Injectable } from '@nestjs/common';
import { exportStatusEvent, Topics } from '@bulk-export/contracts';
import { Conflict, NotFound } from '@bulk-export/domain';
import { TOPICS } from '@bulk-export/messaging';
import { CredentialsRepository, Export, ExportsRepository } from '@bulk-export/persistence';
import { CredentialCipher, GcsClientFactory, parseServiceAccountKey, probeBucket } from '@bulk-export/storage';

export interface ResumeExport {
  accountId: string;
  exportId: string;
}

/**
 * Resumes a recurring export that was paused after its runs kept failing. Its credentials
 * are validated again first (the key, the bucket, a probe write), as when they were saved,
 * so a cause that is not fixed answers 422 at once instead of failing three more runs.
 * The windows it missed are then exported one after another.
 */
@Injectable()
export class ResumeExportUseCase {
  constructor(
    private readonly exports: ExportsRepository,
    private readonly credentials: CredentialsRepository,
    private readonly cipher: CredentialCipher,
    private readonly clients: GcsClientFactory,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(command: ResumeExport): Promise<Export> {
    const found = await this.exports.findForAccount(command.accountId, command.exportId);
    if (!found) throw new NotFound('export', command.exportId);
    if (found.status !== 'paused')
      throw new Conflict(`only a paused export can be resumed; this one is ${found.status}`);
    const credential = await this.credentials.findForAccount(command.accountId, found.credentialId);
    if (!credential)
      throw new Conflict("the export's credentials were deleted: create a new export with saved credentials");
    const key = parseServiceAccountKey(this.cipher.open(credential, credential.id));
    await probeBucket(this.clients.forKey(key), credential.bucket, key.client_email);
    const result = await this.exports.resume(command.accountId, command.exportId, (e) => [
      exportStatusEvent({ exportId: e.id, accountId: e.accountId, status: 'pending' }, new Date(), this.topics),
    ]);
    if (!result) throw new NotFound('export', command.exportId);
    if (!result.resumed)
      throw new Conflict(`only a paused export can be resumed; this one is ${result.exportRow.status}`);
    return result.exportRow;
  }
}

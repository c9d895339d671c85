import { Injectable } from '@nestjs/common';
import { CredentialsRepository, GcsCredential } from '@bulk-export/persistence';

/** The account's saved credentials (the controller leaves their keys out). */
@Injectable()
export class ListCredentialsUseCase {
  constructor(private readonly credentials: CredentialsRepository) {}

  execute({ accountId }: { accountId: string }): Promise<GcsCredential[]> {
    return this.credentials.listForAccount(accountId);
  }
}

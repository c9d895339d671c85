import { Injectable } from '@nestjs/common';
import { Conflict, NotFound } from '@bulk-export/domain';
import { CredentialsRepository } from '@bulk-export/persistence';

export interface DeleteCredential {
  accountId: string;
  credentialId: string;
}

/** Deletes saved credentials; refused (Conflict) while an active export uses them, naming it. */
@Injectable()
export class DeleteCredentialUseCase {
  constructor(private readonly credentials: CredentialsRepository) {}

  async execute({ accountId, credentialId }: DeleteCredential): Promise<void> {
    const credential = await this.credentials.findForAccount(accountId, credentialId);
    if (!credential) throw new NotFound('credentials', credentialId);
    const user = await this.credentials.activeExportUsing(accountId, credentialId);
    if (user) throw new Conflict(`export ${user.id} still uses these credentials: stop it (or let it finish) first`);
    await this.credentials.delete(accountId, credentialId);
  }
}

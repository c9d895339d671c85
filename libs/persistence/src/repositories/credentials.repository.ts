import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull } from 'typeorm';
import { Export, GcsCredential } from '../entities';

/** Stored GCS credentials. Reads are always scoped to an account. */
@Injectable()
export class CredentialsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async save(credential: GcsCredential): Promise<GcsCredential> {
    return this.dataSource.getRepository(GcsCredential).save(credential);
  }

  async findForAccount(accountId: string, id: string): Promise<GcsCredential | null> {
    return this.dataSource.getRepository(GcsCredential).findOneBy({ id, accountId, deletedAt: IsNull() });
  }

  /** For the uploader, which is handed a credential id by a run it trusts. */
  async findById(id: string): Promise<GcsCredential | null> {
    return this.dataSource.getRepository(GcsCredential).findOneBy({ id, deletedAt: IsNull() });
  }

  async listForAccount(accountId: string): Promise<GcsCredential[]> {
    return this.dataSource.getRepository(GcsCredential).find({
      where: { accountId, deletedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  }

  /** An export still needing these credentials: a scheduled recurring one, or a one-time one not finished. */
  async activeExportUsing(accountId: string, credentialId: string): Promise<Export | null> {
    return this.dataSource.getRepository(Export).findOne({
      where: [
        { accountId, credentialId, frequency: 'recurring', status: 'pending' },
        { accountId, credentialId, frequency: 'one_time', status: In(['pending', 'running']) },
      ],
      order: { id: 'ASC' },
    });
  }

  /** Removes the key for good (the row stays, emptied, so old exports still name their bucket). */
  async delete(accountId: string, id: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(GcsCredential)
      .update(
        { id, accountId, deletedAt: IsNull() },
        { deletedAt: new Date(), wrappedKey: Buffer.alloc(0), ciphertext: Buffer.alloc(0) },
      );
    return (result.affected ?? 0) > 0;
  }

  /** Every stored credential, for re-encryption under a new key-encryption key. */
  async allActive(): Promise<GcsCredential[]> {
    return this.dataSource.getRepository(GcsCredential).findBy({ deletedAt: IsNull() });
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { GcsCredential } from '../entities';

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
}

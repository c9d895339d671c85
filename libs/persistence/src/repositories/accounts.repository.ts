import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { checkTimeZone, newId } from '@bulk-export/domain';
import { Account, ApiKey } from '../entities';

const KEY_PREFIX = 'bx_';

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Accounts and their API keys. A key's secret is never stored, only its hash. */
@Injectable()
export class AccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** `timeZone` (default UTC) must be an IANA name; it is stored canonical (checkTimeZone). */
  async createAccount(input: { name: string; databaseId: string; timeZone?: string; id?: string }): Promise<Account> {
    const account = this.dataSource.getRepository(Account).create({
      id: input.id ?? newId(),
      name: input.name,
      databaseId: input.databaseId,
      timeZone: checkTimeZone(input.timeZone ?? 'UTC'),
    });
    return this.dataSource.getRepository(Account).save(account);
  }

  async findAccount(id: string): Promise<Account | null> {
    return this.dataSource.getRepository(Account).findOneBy({ id });
  }

  async findAccountByDatabaseId(databaseId: string): Promise<Account | null> {
    return this.dataSource.getRepository(Account).findOneBy({ databaseId });
  }

  /**
   * Adds an API key to an account. Returns the secret, which is shown once and never
   * again. `secret` may be given (the documented development key of the local stack).
   */
  async addApiKey(accountId: string, name: string, secret?: string): Promise<{ key: ApiKey; secret: string }> {
    const value = secret ?? KEY_PREFIX + randomBytes(24).toString('base64url');
    const repo = this.dataSource.getRepository(ApiKey);
    const key = await repo.save(
      repo.create({
        id: newId(),
        accountId,
        name,
        keyHash: hashApiKey(value),
        prefix: value.slice(0, 7),
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    return { key, secret: value };
  }

  async hasApiKey(secret: string): Promise<boolean> {
    return (await this.dataSource.getRepository(ApiKey).countBy({ keyHash: hashApiKey(secret) })) > 0;
  }

  /** The account a live (not revoked) API key belongs to; records its use. */
  async authenticate(secret: string): Promise<Account | null> {
    const key = await this.dataSource
      .getRepository(ApiKey)
      .findOneBy({ keyHash: hashApiKey(secret), revokedAt: IsNull() });
    if (!key) return null;
    // Last-used time is informative; one write a minute per key is plenty.
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
      await this.dataSource.getRepository(ApiKey).update(key.id, { lastUsedAt: new Date() });
    }
    return this.findAccount(key.accountId);
  }

  async listApiKeys(accountId: string): Promise<ApiKey[]> {
    return this.dataSource.getRepository(ApiKey).find({ where: { accountId }, order: { createdAt: 'ASC' } });
  }

  async revokeApiKey(keyId: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(ApiKey)
      .update({ id: keyId, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }
}

import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { Account, GcsCredential } from '@bulk-export/persistence';
import { CredentialsRepository } from '@bulk-export/persistence';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentAccount } from '../auth/current-account.decorator';
import { SaveCredentialDto } from './save-credential.dto';
import { SaveCredentialUseCase } from './save-credential.use-case';

/** What a credential looks like from outside: never the key. */
export function presentCredential(c: GcsCredential) {
  return { id: c.id, clientEmail: c.clientEmail, projectId: c.projectId, bucket: c.bucket, createdAt: c.createdAt.toISOString() };
}

@Controller('v1/credentials/gcp')
@UseGuards(ApiKeyGuard)
export class CredentialsController {
  constructor(
    private readonly saveCredential: SaveCredentialUseCase,
    private readonly credentials: CredentialsRepository,
  ) {}

  @Post()
  @HttpCode(201)
  async save(@CurrentAccount() account: Account, @Body() body: SaveCredentialDto) {
    const credential = await this.saveCredential.execute({ accountId: account.id, serviceKey: body.serviceKey, bucket: body.bucket });
    return presentCredential(credential);
  }

  @Get()
  async list(@CurrentAccount() account: Account) {
    return { items: (await this.credentials.listForAccount(account.id)).map(presentCredential) };
  }
}

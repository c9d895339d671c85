import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import type { Account, GcsCredential } from '@bulk-export/persistence';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentAccount } from '../auth/current-account.decorator';
import { IdParam } from '../http/id.pipe';
import { SaveCredentialDto } from './save-credential.dto';
import { DeleteCredentialUseCase } from './delete-credential.use-case';
import { ListCredentialsUseCase } from './list-credentials.use-case';
import { SaveCredentialUseCase } from './save-credential.use-case';

/** What a credential looks like from outside: never the key. */
export function presentCredential(c: GcsCredential) {
  return {
    id: c.id,
    clientEmail: c.clientEmail,
    projectId: c.projectId,
    bucket: c.bucket,
    createdAt: c.createdAt.toISOString(),
  };
}

@ApiTags('credentials')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or unknown API key (`unauthenticated`).' })
@ApiResponse({ status: 429, description: 'Too many requests with this key (`rate_limited`); see Retry-After.' })
@Controller('v1/credentials/gcp')
@UseGuards(ApiKeyGuard)
export class CredentialsController {
  constructor(
    private readonly saveCredential: SaveCredentialUseCase,
    private readonly deleteCredential: DeleteCredentialUseCase,
    private readonly listCredentials: ListCredentialsUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Save a service-account key and bucket, validated for real; the key is encrypted and never returned.',
  })
  @ApiResponse({ status: 201, description: '`{ id, clientEmail, projectId, bucket, createdAt }`' })
  @ApiResponse({ status: 400, description: 'A field is missing, unknown or of the wrong type.' })
  @ApiResponse({
    status: 422,
    description:
      '`invalid_service_key`, `invalid_bucket_name`, `bucket_not_found` (names must match exactly), `bucket_not_writable`.',
  })
  async save(@CurrentAccount() account: Account, @Body() body: SaveCredentialDto) {
    const credential = await this.saveCredential.execute({
      accountId: account.id,
      serviceKey: body.serviceKey,
      bucket: body.bucket,
    });
    return presentCredential(credential);
  }

  @Get()
  @ApiOperation({ summary: 'The saved credentials, without keys.' })
  async list(@CurrentAccount() account: Account) {
    return { items: (await this.listCredentials.execute({ accountId: account.id })).map(presentCredential) };
  }

  /** Replaces the key (and bucket) of saved credentials, validated like a new one. */
  @Put(':id')
  @ApiOperation({ summary: 'Replace the key (and bucket) of saved credentials, validated like a new one.' })
  @ApiResponse({ status: 404, description: 'No such credentials for this account.' })
  @ApiResponse({ status: 422, description: 'As for POST.' })
  async replace(
    @CurrentAccount() account: Account,
    @Param('id', new IdParam('credentials')) id: string,
    @Body() body: SaveCredentialDto,
  ) {
    const credential = await this.saveCredential.execute({
      accountId: account.id,
      serviceKey: body.serviceKey,
      bucket: body.bucket,
      replaceId: id,
    });
    return presentCredential(credential);
  }

  /** Deletes credentials; refused (409) while an active export uses them. */
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete credentials.' })
  @ApiResponse({ status: 404, description: 'No such credentials for this account.' })
  @ApiResponse({ status: 409, description: 'An active export uses them; the message names it.' })
  async remove(@CurrentAccount() account: Account, @Param('id', new IdParam('credentials')) id: string): Promise<void> {
    await this.deleteCredential.execute({ accountId: account.id, credentialId: id });
  }
}

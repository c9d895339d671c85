import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Unauthenticated } from '@bulk-export/domain';
import { Account, AccountsRepository } from '@bulk-export/persistence';

export interface AuthenticatedRequest extends Request {
  account: Account;
}

/** Every /v1 route: `Authorization: Bearer <api key>` of a live key, else 401. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly accounts: AccountsRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,200})$/i.exec(header.trim()) : null;
    if (!match) throw new Unauthenticated('send your API key as `Authorization: Bearer <key>`');
    const account = await this.accounts.authenticate(match[1]);
    if (!account) throw new Unauthenticated('the API key is not valid (unknown or revoked)');
    request.account = account;
    return true;
  }
}

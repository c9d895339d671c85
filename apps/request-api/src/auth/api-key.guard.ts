import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RateLimited, Unauthenticated } from '@bulk-export/domain';
import { AppConfig } from '@bulk-export/config';
import { createHash } from 'node:crypto';
import { RateLimiter } from './rate-limiter';
import { Account, AccountsRepository } from '@bulk-export/persistence';

export interface AuthenticatedRequest extends Request {
  account: Account;
}

/** Every /v1 route: `Authorization: Bearer <api key>` of a live key, else 401; at most RATE_LIMIT_PER_MINUTE a key. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly accounts: AccountsRepository,
    config: AppConfig,
  ) {
    this.limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,200})$/i.exec(header.trim()) : null;
    if (!match) throw new Unauthenticated('send your API key as `Authorization: Bearer <key>`');
    // Limit by key (hashed, so the limiter never holds secrets), before touching the database.
    const wait = this.limiter.take(createHash('sha256').update(match[1]).digest('base64'));
    if (wait > 0) throw new RateLimited(wait);
    const account = await this.accounts.authenticate(match[1]);
    if (!account) throw new Unauthenticated('the API key is not valid (unknown or revoked)');
    request.account = account;
    return true;
  }
}

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

/**
 * How many keys that authenticated are remembered, so a client address held back for failures does not hold them back.
 */
const KNOWN_KEYS = 100_000;

/**
 * Every /v1 route: `Authorization: Bearer <api key>` of a live key, else 401; at most
 * RATE_LIMIT_PER_MINUTE a key. A client address that sends unknown or revoked keys gets
 * AUTH_FAILURES_PER_MINUTE tries a minute, then 429 before the database is asked, unless
 * the key it sends authenticated recently: guessing keys, or a flood of random ones, costs
 * no database lookups and cannot push the buckets of real keys out.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly limiter: RateLimiter;
  private readonly failures: RateLimiter;
  /** Hashes of keys that authenticated, least recently used first. */
  private readonly known = new Set<string>();

  constructor(
    private readonly accounts: AccountsRepository,
    config: AppConfig,
  ) {
    this.limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE);
    this.failures = new RateLimiter(config.AUTH_FAILURES_PER_MINUTE);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,200})$/i.exec(header.trim()) : null;
    if (!match) throw new Unauthenticated('send your API key as `Authorization: Bearer <key>`');
    // Keys are only held hashed, so the limiters never hold secrets.
    const key = createHash('sha256').update(match[1]).digest('base64');
    const client = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    if (!this.known.has(key)) {
      const held = this.failures.peek(client);
      if (held > 0) throw new RateLimited(held, 'too many requests with unknown or revoked API keys from this address');
    }
    const wait = this.limiter.take(key);
    if (wait > 0) throw new RateLimited(wait);
    const account = await this.accounts.authenticate(match[1]);
    if (!account) {
      this.known.delete(key);
      this.failures.take(client);
      throw new Unauthenticated('the API key is not valid (unknown or revoked)');
    }
    this.remember(key);
    request.account = account;
    return true;
  }

  private remember(key: string): void {
    this.known.delete(key);
    if (this.known.size >= KNOWN_KEYS) this.known.delete(this.known.values().next().value as string);
    this.known.add(key);
  }
}

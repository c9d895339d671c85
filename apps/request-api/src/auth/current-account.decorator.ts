import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Account } from '@bulk-export/persistence';
import type { AuthenticatedRequest } from './api-key.guard';

/** The account of the API key that made the request. */
export const CurrentAccount = createParamDecorator(
  (_: unknown, context: ExecutionContext): Account => context.switchToHttp().getRequest<AuthenticatedRequest>().account,
);

import type { NextFunction, Request, Response } from 'express';
import { findInputProblems, findQueryProblems } from '@bulk-export/contracts';
import { InvalidRequest } from './error.filter';

/**
 * What the validation pipe cannot see is refused here (400 naming the field), on every
 * route: text PostgreSQL cannot store (NUL, lone surrogates) anywhere in the body or query,
 * and `__proto__`/`constructor`/`prototype` keys, which class-transformer drops before
 * whitelisting. The query is read raw, since the query parser drops some of those keys too.
 */
export function rejectUnsafeInput(req: Request, res: Response, next: NextFunction): void {
  const start = req.originalUrl.indexOf('?');
  const problems = [
    ...(start >= 0 ? findQueryProblems(req.originalUrl.slice(start + 1)) : []),
    ...(req.body !== undefined ? findInputProblems(req.body) : []),
  ];
  if (problems.length > 0) {
    res.status(400).json(new InvalidRequest(problems).getResponse());
    return;
  }
  next();
}

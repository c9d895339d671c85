import type { NextFunction, Request, Response } from 'express';
import { depthOf, MAX_DEPTH } from '@bulk-export/contracts';

/** A body nested deeper than any real request is refused before validation walks it (400). */
export function rejectDeepBodies(req: Request, res: Response, next: NextFunction): void {
  if (req.body !== undefined && depthOf(req.body) > MAX_DEPTH) {
    res
      .status(400)
      .json({ code: 'invalid_request', message: `the request body is nested deeper than ${MAX_DEPTH} levels` });
    return;
  }
  next();
}

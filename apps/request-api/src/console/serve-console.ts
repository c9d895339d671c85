import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '@bulk-export/config';
import type { Logger } from '@bulk-export/observability';
import { RateLimiter } from '../auth/rate-limiter';

/**
 * The built console: dist/console, written by `npm run build` from apps/console (this file runs from
 * dist/apps/request-api/src/console).
 */
export const CONSOLE_DIR = resolve(__dirname, '..', '..', '..', '..', 'console');

/**
 * A strict policy: scripts, styles and API calls from this origin only, no inline script or
 * style, no framing, no plugins, forms post nowhere else.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Revalidated every time (by ETag), so a new build is picked up at once.
  'Cache-Control': 'no-cache',
};

/**
 * Serves the admin console at /console/: static files only (the API key stays in the
 * browser; there are no server-side sessions), with the headers above, and the API's rate
 * limit applied per client address.
 */
export function serveConsole(app: NestExpressApplication, config: AppConfig, logger: Logger): void {
  if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
    logger.warn('the console is not built: /console/ answers 404 (npm run build builds it)', { dir: CONSOLE_DIR });
    return;
  }
  const limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE);
  app.use('/console', (req: Request, res: Response, next: NextFunction) => {
    const wait = limiter.take(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      res
        .status(429)
        .json({ code: 'rate_limited', message: `too many requests from this address; try again in ${wait} s` });
      return;
    }
    for (const [name, value] of Object.entries(HEADERS)) res.setHeader(name, value);
    // Relative asset URLs need the trailing slash.
    if (req.originalUrl === '/console' || req.originalUrl.startsWith('/console?')) {
      res.redirect(301, '/console/');
      return;
    }
    next();
  });
  app.useStaticAssets(CONSOLE_DIR, {
    prefix: '/console/',
    index: 'index.html',
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
  });
}

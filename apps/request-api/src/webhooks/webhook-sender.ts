import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { WebhookTarget } from './webhook-target';

/** How an endpoint answered: its HTTP status (redirects are not followed). */
export interface WebhookAnswer {
  status: number;
}

/** A lookup that answers only the address checked beforehand, whatever the name resolves to now. */
function pinnedLookup(pinned: { address: string; family: number }): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}

/**
 * POSTs `body` to the target with `headers`, connecting only to its pinned address (TLS
 * still checks the certificate against the host name). Resolves with the status as soon as the
 * endpoint answers; fails on no answer within `timeoutMs`. The answer's body is read and
 * dropped (at most 64 KiB of it).
 */
export function postWebhook(
  target: WebhookTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<WebhookAnswer> {
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookAnswer>((resolve, reject) => {
    const req = request(
      target.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
        ...(target.pinned ? { lookup: pinnedLookup(target.pinned) } : {}),
      },
      (res) => {
        resolve({ status: res.statusCode ?? 0 });
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) res.destroy();
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', (e: Error & { code?: string }) =>
      reject(
        new Error(
          e.name === 'AbortError' || e.code === 'ABORT_ERR'
            ? `no answer within ${timeoutMs} ms`
            : `could not be reached: ${e.code ?? e.message}`,
        ),
      ),
    );
    req.end(body);
  });
}

import { createHmac } from 'node:crypto';

/** The header of a delivery that carries its timestamp and signature. */
export const WEBHOOK_SIGNATURE_HEADER = 'X-BulkExport-Signature';

/**
 * The signature header of a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * keyed by the endpoint's secret (its whole text, as UTF-8). Signing the timestamp with the
 * body lets a receiver refuse an old delivery replayed to it.
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request a receiver got, and whether its signature verified against the path's secret. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  verified: boolean;
  answered: number;
}

/**
 * The check the README tells a receiver to make, written out as a customer would: the
 * header's `t` must be recent, and `v1` must be the HMAC-SHA256 of "<t>.<raw body>" under
 * the endpoint's secret, compared in constant time.
 */
export function verifySignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A plain HTTP server on 127.0.0.1 standing in for a customer's endpoint: records every
 * request, verifies its signature with the secret registered for its path, and answers with
 * the next status scripted for the path (200 once the script is used up).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly scripts = new Map<string, number[]>();
  private server!: Server;

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const body = Buffer.concat(chunks).toString('utf8');
        const secret = receiver.secrets.get(path);
        const signature = req.headers['x-bulkexport-signature'];
        const answered = receiver.scripts.get(path)?.shift() ?? 200;
        receiver.received.push({
          path,
          headers: req.headers,
          body,
          verified: !!secret && verifySignature(typeof signature === 'string' ? signature : undefined, body, secret),
          answered,
        });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The secret to verify requests to `path` with, and the statuses to answer them with first. */
  expect(path: string, secret: string, statuses: number[] = []): void {
    this.secrets.set(path, secret);
    this.scripts.set(path, [...statuses]);
  }

  at(path: string): (Received & { event: { id: string; type: string; data: Record<string, unknown> } })[] {
    return this.received
      .filter((r) => r.path === path)
      .map((r) => ({ ...r, event: JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> } }));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

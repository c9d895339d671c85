import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { postWebhook } from './webhook-sender';
import { resolveWebhookTarget, WebhookTargetRefused } from './webhook-target';

describe('postWebhook', () => {
  let server: Server;
  let port: number;
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.writeHead(204).end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects to the pinned address whatever the name resolves to, and keeps the name in Host', async () => {
    // `.invalid` never resolves: only the pinned address can be reached.
    const target = { url: new URL(`http://rebound.invalid:${port}/hook`), pinned: { address: '127.0.0.1', family: 4 } };
    await expect(postWebhook(target, { 'x-test': '1' }, '{"a":1}', 2000)).resolves.toEqual({ status: 204 });
    expect(seen.at(-1)).toMatchObject({
      headers: { host: `rebound.invalid:${port}`, 'content-type': 'application/json', 'x-test': '1' },
      body: '{"a":1}',
    });
    await expect(postWebhook({ ...target, pinned: null }, {}, '{}', 2000)).rejects.toThrow(
      'could not be reached: ENOTFOUND',
    );
  });

  it('fails an endpoint that does not answer in time, and does not follow a redirect', async () => {
    const target = { url: new URL(`http://127.0.0.1:${port}/slow`), pinned: { address: '127.0.0.1', family: 4 } };
    answer = () => undefined;
    await expect(postWebhook(target, {}, '{}', 300)).rejects.toThrow('no answer within 300 ms');
    answer = (res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    await expect(postWebhook(target, {}, '{}', 2000)).resolves.toEqual({ status: 302 });
  });
});

describe('resolveWebhookTarget', () => {
  it('pins an IP literal, refuses a name that resolves to loopback, and lets an allow-listed host through unpinned', async () => {
    await expect(resolveWebhookTarget('https://8.8.8.8/x', [])).resolves.toMatchObject({
      pinned: { address: '8.8.8.8', family: 4 },
    });
    await expect(resolveWebhookTarget('https://localhost/x', [])).rejects.toThrow(WebhookTargetRefused);
    await expect(resolveWebhookTarget('https://localhost./x', [])).rejects.toThrow('must not point at this machine');
    await expect(resolveWebhookTarget('http://localhost:1/x', ['localhost'])).resolves.toMatchObject({ pinned: null });
  });
});

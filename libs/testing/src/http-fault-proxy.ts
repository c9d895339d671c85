import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';

/** What the proxy does to a matching request instead of forwarding it. */
export type HttpFault =
  { kind: 'status'; status: number; retryAfterSeconds?: number } | { kind: 'reset' } | { kind: 'hang' };

/** A fault the proxy recorded: when it answered a request with it. */
export interface InjectedFault {
  fault: HttpFault;
  method: string;
  path: string;
  at: number;
}

/**
 * An HTTP proxy of our own in front of fake-gcs-server that answers chosen requests with a
 * fault (429 or 503 with Retry-After, a reset connection, a response that never comes)
 * and forwards everything else. `failNext` queues faults for the next matching requests.
 */
export class HttpFaultProxy {
  private server: Server | null = null;
  private readonly queue: { fault: HttpFault; match: (req: IncomingMessage) => boolean }[] = [];
  private readonly hung = new Set<ServerResponse>();
  readonly injected: InjectedFault[] = [];
  /** Every request the proxy saw, faulted or forwarded. */
  readonly requests: { method: string; path: string; at: number }[] = [];
  port = 0;

  private constructor(private readonly target: URL) {}

  static async inFrontOf(endpoint: string): Promise<HttpFaultProxy> {
    const proxy = new HttpFaultProxy(new URL(endpoint));
    await proxy.listen();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next request for which `match` is true gets `fault`, in the order queued. */
  failNext(fault: HttpFault, match: (req: IncomingMessage) => boolean): void {
    this.queue.push({ fault, match });
  }

  get pending(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.socket?.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.server = server;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', at: Date.now() });
    const i = this.queue.findIndex((q) => q.match(req));
    if (i >= 0) {
      const [{ fault }] = this.queue.splice(i, 1);
      this.injected.push({ fault, method: req.method ?? '', path: req.url ?? '', at: Date.now() });
      req.resume();
      if (fault.kind === 'reset') {
        req.socket.resetAndDestroy();
      } else if (fault.kind === 'hang') {
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
      } else {
        const body = JSON.stringify({ error: { code: fault.status, message: `injected ${fault.status}` } });
        res.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}),
        });
        res.end(body);
      }
      return;
    }
    const upstream = request(
      {
        host: this.target.hostname === 'localhost' ? '127.0.0.1' : this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

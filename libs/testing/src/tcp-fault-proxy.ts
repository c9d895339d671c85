import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy of our own in front of a service of the stack (fake-gcs-server), which a test
 * can "kill" (every connection reset, the port refusing) and bring back, without touching
 * the shared service. Reach the service through `url`.
 */
export class TcpFaultProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy in front of an http:// endpoint, e.g. STACK.gcsEndpoint. */
  static async inFrontOf(endpoint: string): Promise<TcpFaultProxy> {
    const url = new URL(endpoint);
    const proxy = new TcpFaultProxy(url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, Number(url.port));
    await proxy.resume();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Accepts connections again (on the same port). */
  async resume(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.server = server;
  }

  /** As if the service were killed: open connections are reset and new ones refused, until `resume`. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy of our own in front of a service of the stack (fake-gcs-server), which a test
 * can "kill" (every connection reset, the port refusing) and bring back, without touching
 * the shared service. Reach the service through `url`.
 *
 * With `bytesPerSecond` it is a slow link: what clients send is passed on at that rate at most
 * (the answers as they come), holding the clients back as a slow network would; after
 * `stallOnceAfter(n)`, the connection that passes the next n bytes stops passing anything.
 */
export class TcpFaultProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Bytes clients sent that were passed on (counted on a slow link only). */
  bytesPassed = 0;
  /** Where the next connection to pass it stalls for good, if set. */
  private stallAt: number | null = null;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly bytesPerSecond: number | null = null,
  ) {}

  /** A proxy in front of an http:// endpoint, e.g. STACK.gcsEndpoint. */
  static async inFrontOf(endpoint: string, options: { bytesPerSecond?: number } = {}): Promise<TcpFaultProxy> {
    const url = new URL(endpoint);
    const proxy = new TcpFaultProxy(
      url.hostname === 'localhost' ? '127.0.0.1' : url.hostname,
      Number(url.port),
      options.bytesPerSecond ?? null,
    );
    await proxy.resume();
    return proxy;
  }

  /** On a slow link: the connection that passes the next `bytes` stops passing anything. */
  stallOnceAfter(bytes: number): void {
    this.stallAt = this.bytesPassed + bytes;
  }

  /** Passes what `client` sends to `upstream` at `bytesPerSecond` at most. */
  private passSlowly(client: Socket, upstream: Socket, bytesPerSecond: number): void {
    client.on('data', (chunk: Buffer) => {
      this.bytesPassed += chunk.length;
      upstream.write(chunk);
      client.pause();
      if (this.stallAt !== null && this.bytesPassed >= this.stallAt) {
        this.stallAt = null;
        return;
      }
      // Held back for the time the chunk takes on the link.
      setTimeout(() => client.resume(), (1000 * chunk.length) / bytesPerSecond);
    });
    client.on('end', () => upstream.end());
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
      if (this.bytesPerSecond === null) client.pipe(upstream);
      else this.passSlowly(client, upstream, this.bytesPerSecond);
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

/** One request of an HttpProbe: what it asked and what came back (status 0: no answer at all). */
export interface ProbeAnswer {
  path: string;
  status: number;
  ms: number;
  code?: string;
  retryAfter?: string | null;
  error?: string;
}

/**
 * Polls routes of a service in a loop while something breaks, as a client would, each
 * request with a deadline (`timeoutMs`), and counts every answer: a test then checks that
 * all of them were answers, with JSON bodies, within the deadline.
 */
export class HttpProbe {
  readonly answers: ProbeAnswer[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly base: string,
    private readonly requests: { method: string; path: string; body?: () => unknown }[],
    private readonly apiKey: string,
    private readonly timeoutMs = 2000,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        for (const r of this.requests) this.answers.push(await this.ask(r.method, r.path, r.body?.()));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }

  async stop(): Promise<ProbeAnswer[]> {
    this.stopped = true;
    await this.loop;
    return this.answers;
  }

  private async ask(method: string, path: string, body: unknown): Promise<ProbeAnswer> {
    const started = Date.now();
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let code: string | undefined;
      try {
        code = (JSON.parse(text) as { code?: string }).code;
      } catch {
        return { path, status: res.status, ms: Date.now() - started, error: `not JSON: ${text.slice(0, 100)}` };
      }
      return { path, status: res.status, ms: Date.now() - started, code, retryAfter: res.headers.get('retry-after') };
    } catch (e) {
      return { path, status: 0, ms: Date.now() - started, error: e instanceof Error ? e.message : String(e) };
    }
  }
}

import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { waitFor } from './wait-for';

/** The repository root: the nearest folder up with a package.json (from source or from dist/). */
function repositoryRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const ROOT = repositoryRoot(__dirname);

export type ServiceName = 'request-api' | 'scheduler' | 'extractor' | 'uploader';

/**
 * One of our services as a real process, built from dist/. It listens on a free port
 * (HTTP_PORT=0) and the port is read from its "service started" log line. Logs go to
 * `logDir/<name>.log` (and are kept to be read by tests, e.g. to look for secrets).
 */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  port = 0;
  readonly logPath: string;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: ServiceName,
    private readonly env: Record<string, string>,
    logDir: string,
    private readonly instance = 0,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.logPath = join(logDir, `${name}${instance ? `-${instance}` : ''}.log`);
  }

  /** The process id, e.g. to sample its memory; 0 when not running. */
  get pid(): number {
    return this.child && this.child.exitCode === null ? (this.child.pid ?? 0) : 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts the service; waits until /health/ready answers 200 unless `waitReady` is false (a dependency is down on
   * purpose).
   */
  async start({ waitReady = true }: { waitReady?: boolean } = {}): Promise<void> {
    this.port = 0;
    const log = createWriteStream(this.logPath, { flags: 'a' });
    // SERVICE_NODE_ARGS: extra Node.js flags for the services, e.g. `--cpu-prof --cpu-prof-dir=…` (the benchmark's
    // --cpu-prof).
    const nodeArgs = (process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps', this.name, 'src/main.js')], {
      // MALLOC_* and NODE_OPTIONS: the allocator's and V8's settings for the services (scripts/lib.sh sets them).
      env: { PATH: process.env.PATH ?? '', ...runtimeSettings(), ...this.env, HTTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let buffered = '';
    let portSeen = false;
    const portFound = new Promise<number>((resolvePort, reject) => {
      child.stdout?.on('data', (data: Buffer) => {
        log.write(data);
        if (portSeen) return;
        buffered += data.toString();
        const m = /"msg":"service started","port":(\d+)/.exec(buffered);
        if (m) {
          portSeen = true;
          resolvePort(Number(m[1]));
        }
      });
      child.once('exit', (code) =>
        reject(new Error(`${this.name} exited with ${code} before it started; see ${this.logPath}`)),
      );
    });
    child.stderr?.on('data', (data: Buffer) => log.write(data));
    this.port = await Promise.race([
      portFound,
      new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error(`${this.name} did not start in time; see ${this.logPath}`)), 60_000).unref(),
      ),
    ]);
    if (!waitReady) return;
    await waitFor(`${this.name} ready`, async () => (await fetch(`${this.url}/health/ready`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }

  /** Graceful stop (SIGTERM), as an orchestrator would. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** A crash: SIGKILL, no chance to clean up. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The glibc allocator settings (MALLOC_*) of this process's environment, passed on to a service. */
function runtimeSettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => (e[0].startsWith('MALLOC_') || e[0] === 'NODE_OPTIONS') && e[1] !== undefined,
    ),
  );
}

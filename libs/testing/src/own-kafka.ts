import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from './wait-for';

function repositoryRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A Kafka broker of a test's own (KRaft, single node, from the local stack's jars in
 * STACK_DIR/kafka/libs), on free ports and in a folder of its own, so that a test can kill
 * it and start it again (same data) without touching the shared broker.
 */
export class OwnKafka {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  get brokers(): string {
    return `localhost:${this.port}`;
  }

  get logPath(): string {
    return join(this.dir, 'kafka.log');
  }

  static async start(): Promise<OwnKafka> {
    const dir = mkdtempSync(join(tmpdir(), 'bx-own-kafka-'));
    const [port, controller] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'server.properties'),
      [
        'process.roles=broker,controller',
        'node.id=1',
        `listeners=PLAINTEXT://localhost:${port},CONTROLLER://localhost:${controller}`,
        `advertised.listeners=PLAINTEXT://localhost:${port}`,
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
        'controller.listener.names=CONTROLLER',
        `controller.quorum.bootstrap.servers=localhost:${controller}`,
        `log.dirs=${join(dir, 'data')}`,
        'num.partitions=3',
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=3',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'log4j2.properties'),
      [
        'rootLogger.level = WARN',
        'rootLogger.appenderRef.stdout.ref = STDOUT',
        'appender.console.type = Console',
        'appender.console.name = STDOUT',
        'appender.console.layout.type = PatternLayout',
        'appender.console.layout.pattern = %d %p %c %m%n',
      ].join('\n'),
    );
    const kafka = new OwnKafka(dir, port);
    const id = kafka.java(['kafka.tools.StorageTool', 'random-uuid']).trim();
    kafka.java(['kafka.tools.StorageTool', 'format', '--standalone', '-t', id, '-c', join(dir, 'server.properties')]);
    await kafka.resume();
    return kafka;
  }

  /** Starts the broker (again, with the data it had) and waits until it answers. */
  async resume(): Promise<void> {
    const log = createWriteStream(this.logPath, { flags: 'a' });
    const child = spawn(
      'java',
      [
        '-Xms256m',
        '-Xmx512m',
        `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
        '-cp',
        this.classPath(),
        'kafka.Kafka',
        join(this.dir, 'server.properties'),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const admin = new Kafka({
      clientId: 'own-kafka-probe',
      brokers: [this.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await waitFor(
        'own Kafka broker answering',
        async () => {
          if (child.exitCode !== null) throw new Error(`the broker exited; see ${this.logPath}`);
          await admin.connect();
          await admin.describeCluster();
          return true;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
    } finally {
      await admin.disconnect();
    }
  }

  /** A crash: SIGKILL. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Kills the broker and removes its folder. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private classPath(): string {
    const stack = process.env.STACK_DIR ?? join(repositoryRoot(__dirname), '.stack');
    const libs = join(stack, 'kafka', 'libs');
    mkdirSync(libs, { recursive: true });
    return `${libs}/*`;
  }

  private java(args: string[]): string {
    return execFileSync(
      'java',
      [`-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`, '-cp', this.classPath(), ...args],
      { encoding: 'utf8' },
    );
  }
}

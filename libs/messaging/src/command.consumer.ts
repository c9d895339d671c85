import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Consumer, KafkaMessage } from 'kafkajs';
import { Decoded } from '@bulk-export/contracts';
import { describeError } from '@bulk-export/domain';
import { HealthCheck, Logger, Metrics, runChecks } from '@bulk-export/observability';
import { DeadLetter } from './dead-letter';
import { KafkaClient } from './kafka.client';
import { ConsumerSupervisor } from './consumer-supervisor';

export interface CommandConsumerOptions<T> {
  topic: string;
  groupId: string;
  /** How a message becomes a command, e.g. `(b) => decodeMessage(PlanRunCommand, b)`. */
  decode(bytes: Buffer | null): Decoded<T>;
  /** Called for a message that could not be decoded (and was dead-lettered), e.g. to answer its sender. */
  onInvalid?(reason: string, message: KafkaMessage): Promise<void>;
  /**
   * Handles one valid command; throwing leaves it uncommitted, so it comes again. It may
   * return a reason to dead-letter the command instead (a command the rules refuse).
   */
  handle(command: T): Promise<void | { rejected: string }>;
  sessionTimeoutMs?: number;
  /** How long the consumer may be down (reconnecting) before liveness fails; 10 minutes by default. */
  stuckMs?: number;
  /** Commands of different partitions handled at once (1 by default); within a partition, one after the other. */
  concurrency?: number;
  /** kafkajs's own retries before it gives the consumer up (10 by default). */
  kafkaRetries?: number;
  /**
   * A command whose handler throws is tried again, with backoff from `retryBaseMs` (500)
   * doubling to 30 s. After `maxFailures` (8, about a minute) failures in a row it is
   * dead-lettered as a poison message, but only while every one of `dependencies`
   * (Postgres, Kafka) answers: during an outage it waits for them, and is tried
   * `maxFailures` times again once they are back; it is never dropped.
   */
  maxFailures?: number;
  retryBaseMs?: number;
  dependencies?: HealthCheck[];
  /** Called for a command given up as poison (after it was dead-lettered), e.g. to answer its sender. */
  onGiveUp?(command: T, reason: string): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Consumes one command topic. A command's offset is committed only after it was handled
 * (or dead-lettered), one at a time per partition (`concurrency` partitions side by side),
 * so a crash mid-command redelivers it. Heartbeats go
 * on while a long command runs. Invalid messages are dead-lettered, never fatal; so is a
 * command that keeps failing while the service's dependencies answer (a poison message),
 * so that it does not hold back the commands behind it.
 */
export class CommandConsumer<T extends object> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly supervisor: ConsumerSupervisor;
  private lagTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly deadLetter: DeadLetter,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly kafkaReady: Promise<void>,
    private readonly options: CommandConsumerOptions<T>,
  ) {
    this.supervisor = new ConsumerSupervisor(
      options.topic,
      (watch) => this.open(watch),
      options.stuckMs ?? 10 * 60_000,
      logger,
      metrics,
    );
  }

  /** Fails once the consumer has been down for CONSUMER_STUCK_MINUTES: for /health/live. */
  get liveness(): HealthCheck {
    return this.supervisor.liveness;
  }

  /** Fails while the consumer is not in its group: for /health/ready. */
  get readiness(): HealthCheck {
    return this.supervisor.readiness;
  }

  /** Messages of the topic not yet committed by this group, summed over partitions. */
  async lag(): Promise<number> {
    const { topic, groupId } = this.options;
    const [committed, latest] = await Promise.all([
      this.kafka.admin.fetchOffsets({ groupId, topics: [topic] }),
      this.kafka.admin.fetchTopicOffsets(topic),
    ]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    return latest.reduce((sum, p) => {
      const position = done.get(p.partition) ?? -1n;
      const start = position < 0n ? BigInt(p.low) : position;
      return sum + Number(BigInt(p.high) - start);
    }, 0);
  }

  /** Nest starts the consumer (in the background, once Kafka is connected), and stops it on shutdown. */
  onApplicationBootstrap(): void {
    void this.kafkaReady.then(() => {
      if (this.stopped) return;
      this.supervisor.start();
      const { topic, groupId } = this.options;
      this.lagTimer = setInterval(() => {
        this.lag()
          .then((lag) => this.metrics.consumerLag.set({ group: groupId, topic }, lag))
          .catch(() => undefined);
      }, 5000);
      this.lagTimer.unref();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.supervisor.stop();
  }

  /**
   * One kafkajs consumer of the topic, connected, subscribed and running (ConsumerSupervisor replaces it when it
   * crashes).
   */
  private async open(watch: (consumer: Consumer) => void): Promise<Consumer> {
    const { topic, groupId } = this.options;
    const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
    const consumer = this.kafka.kafka.consumer({
      groupId,
      sessionTimeout,
      // An idle consumer heartbeats between fetches: a fetch must not wait out most of the
      // session (kafkajs waits up to 5 s), or a busy machine lets the group drop the member.
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
      maxWaitTimeInMs: Math.min(5000, Math.floor(sessionTimeout / 3)),
      allowAutoTopicCreation: false,
      retry: {
        retries: this.options.kafkaRetries ?? 10,
        initialRetryTime: 300,
        maxRetryTime: 30_000,
        // A consumer that kafkajs would give up on, or restart on its own after a non-retriable error, is
        // replaced by ConsumerSupervisor instead: one way back, with its backoff, health and metrics.
        restartOnFailure: async () => false,
      },
    });
    watch(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) return;
          await this.process(batch.topic, batch.partition, message, heartbeat, () => isRunning() && !isStale());
          resolveOffset(message.offset);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
        }
      },
    });
    return consumer;
  }

  /** Dead-letters a message with the reason. */
  async reject(topic: string, partition: number, message: KafkaMessage, reason: string): Promise<void> {
    await this.deadLetter.send(
      [{ topic, partition, offset: message.offset, key: message.key, value: message.value }],
      [reason],
      topic,
    );
  }

  private async process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    current: () => boolean,
  ): Promise<void> {
    const decoded = this.options.decode(message.value);
    if (!decoded.ok) {
      await this.reject(topic, partition, message, decoded.reason);
      // A message that could not be decoded has not been answered by a handler yet.
      await this.options.onInvalid?.(decoded.reason, message);
      return;
    }
    // Heartbeats go on while the command runs (kafkajs sends one only when its interval has passed).
    void heartbeat().catch(() => undefined);
    const beat = setInterval(() => heartbeat().catch(() => undefined), 1000);
    try {
      const result = await this.handleWithRetries(topic, partition, message, decoded.value, current);
      // Outside the retries: a refused command is answered once, whatever happens to its dead-lettering.
      if (result && 'rejected' in result) await this.reject(topic, partition, message, result.rejected);
    } finally {
      clearInterval(beat);
    }
  }

  /**
   * Runs the handler until it succeeds, with backoff. A command given up as poison is
   * dead-lettered here and returns nothing more to do. Failures while a dependency is down
   * do not count: after an outage the command gets all its tries again.
   */
  private async handleWithRetries(
    topic: string,
    partition: number,
    message: KafkaMessage,
    command: T,
    current: () => boolean,
  ): Promise<void | { rejected: string }> {
    let failures = 0;
    for (let tries = 1; ; tries++) {
      try {
        return await this.options.handle(command);
      } catch (error) {
        failures += 1;
        this.metrics.commandFailures.inc({ topic });
        const where = { topic, partition, offset: message.offset, failures, tries };
        // Stopping, or the partition went to another consumer: the command stays uncommitted and comes again.
        if (!current()) throw error;
        if (failures >= (this.options.maxFailures ?? 8)) {
          const down = await this.dependenciesDown();
          if (!down) {
            const reason = `the command failed ${failures} times while the service's dependencies answered: ${describeError(error, 500)}`;
            this.logger.error('command dead-lettered as a poison message', { ...where, error });
            await this.reject(topic, partition, message, reason);
            // It is dead-lettered: a failed answer is logged, and the command is not handled again.
            await this.options
              .onGiveUp?.(command, reason)
              .catch((e: unknown) => this.logger.error('could not answer a command given up', { ...where, error: e }));
            return;
          }
          this.logger.warn('command failed while a dependency is down; it waits for it', { ...where, down, error });
          failures = 0;
        } else {
          this.logger.warn('command failed; it is tried again', { ...where, error });
        }
        await this.backOff(tries, current);
      }
    }
  }

  /** Names of the dependencies that do not answer, or '' when all of them do. */
  private async dependenciesDown(): Promise<string> {
    const results = await runChecks(this.options.dependencies ?? []);
    return Object.entries(results)
      .filter(([, state]) => state !== 'up')
      .map(([name, state]) => `${name}: ${state}`)
      .join('; ');
  }

  /**
   * Waits before the next try (backoff doubling from retryBaseMs), and gives up waiting if the command is no longer
   * this consumer's.
   */
  private async backOff(tries: number, current: () => boolean): Promise<void> {
    const delay = Math.min(MAX_RETRY_DELAY_MS, (this.options.retryBaseMs ?? 500) * 2 ** Math.min(tries - 1, 16));
    const until = Date.now() + delay;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())));
      if (!current()) throw new Error('stopped while waiting to retry a command');
    }
  }
}

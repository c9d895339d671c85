import { Consumer } from 'kafkajs';
import { backoffDelay } from '@bulk-export/domain';
import { HealthCheck, Logger, Metrics } from '@bulk-export/observability';
import { sleepUnless } from './sleep';

/** Creates a consumer, connects, subscribes and runs it; `watch` is called on it first, before it connects. */
export type OpenConsumer = (watch: (consumer: Consumer) => void) => Promise<Consumer>;

/**
 * Keeps one kafkajs consumer running for as long as the process lives. A consumer that
 * kafkajs gives up on (its "crashed for good": a lost group coordinator while the broker
 * was down) is thrown away and a new one is opened in the process, with backoff from 1 s
 * to 15 s, for as long as it takes: a Kafka outage never ends the service.
 *
 * Health: `readiness` fails while the consumer is not in its group (so /health/ready says
 * the consumer is down); `liveness` fails only once it has been down for `stuckMs`
 * (CONSUMER_STUCK_MINUTES), so that an orchestrator restarts a consumer that does not recover.
 */
export class ConsumerSupervisor {
  private consumer: Consumer | null = null;
  private downSince: number | null = Date.now();
  private lastError: Error | null = null;
  private stopped = false;
  private opening: Promise<void> | null = null;
  /** A consumer crashed for good while one was being opened: open again once that is over. */
  private reopen = false;
  private crashes = 0;
  readonly liveness: HealthCheck;
  readonly readiness: HealthCheck;

  constructor(
    private readonly topic: string,
    private readonly open: OpenConsumer,
    private readonly stuckMs: number,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    const name = `consumer:${topic}`;
    this.metrics.consumerUp.set({ topic }, 0);
    this.liveness = {
      name,
      check: async () => {
        const down = this.downForMs();
        if (down !== null && down >= this.stuckMs)
          throw new Error(`not consuming for ${Math.round(down / 1000)}s (stuck)${this.reason()}`);
      },
    };
    this.readiness = {
      name,
      check: async () => {
        const down = this.downForMs();
        if (down !== null)
          throw new Error(
            `${this.consumer ? 'reconnecting' : 'connecting'} for ${Math.round(down / 1000)}s${this.reason()}`,
          );
      },
    };
  }

  /** Opens the consumer, in the background and with retries. */
  start(): void {
    this.stopped = false;
    if (this.opening) {
      // The consumer being opened may be the one that crashed: keepOpening() opens again.
      this.reopen = true;
      return;
    }
    this.opening = this.keepOpening().finally(() => {
      this.opening = null;
      // A crash between the open and here.
      if (this.reopen && !this.stopped) this.start();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.opening;
    await this.discard();
  }

  private async keepOpening(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      this.reopen = false;
      try {
        await this.discard();
        await this.open((consumer) => this.watch(consumer));
        if (this.stopped) return;
        if (this.reopen) {
          // kafkajs gave it up while it started (e.g. "the coordinator is loading" on a broker just up): it never ran.
          const delay = backoffDelay(attempt, 1000, 15_000);
          this.logger.warn('consumer crashed while it started; opening it again', {
            topic: this.topic,
            attempt,
            retryInMs: delay,
          });
          await sleepUnless(delay, () => this.stopped);
          continue;
        }
        this.markUp();
        if (attempt > 1 || this.crashes > 0)
          this.logger.info('consumer reconnected', { topic: this.topic, attempts: attempt, crashes: this.crashes });
        return;
      } catch (error) {
        this.lastError = error instanceof Error ? error : new Error(String(error));
        const delay = backoffDelay(attempt, 1000, 15_000);
        this.logger.warn('consumer could not connect; trying again later', {
          topic: this.topic,
          attempt,
          retryInMs: delay,
          error,
        });
        await sleepUnless(delay, () => this.stopped);
      }
    }
  }

  private watch(consumer: Consumer): void {
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.consumer === consumer) this.markUp();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.consumer !== consumer || this.stopped) return;
      const error = event.payload.error;
      this.lastError = error;
      this.markDown();
      if (event.payload.restart) {
        this.logger.warn('consumer crashed; kafkajs restarts it', { topic: this.topic, error });
        return;
      }
      // kafkajs gave this consumer up; a new one is opened in the process.
      this.logger.error('consumer crashed; it is reconnected in the process', { topic: this.topic, error });
      this.metrics.consumerReconnects.inc({ topic: this.topic });
      this.crashes += 1;
      this.start();
    });
  }

  private async discard(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    this.markDown();
    await consumer
      ?.disconnect()
      .catch((error: unknown) => this.logger.debug('consumer disconnect failed', { topic: this.topic, error }));
  }

  private markUp(): void {
    this.downSince = null;
    this.lastError = null;
    this.metrics.consumerUp.set({ topic: this.topic }, 1);
  }

  private markDown(): void {
    this.downSince ??= Date.now();
    this.metrics.consumerUp.set({ topic: this.topic }, 0);
  }

  private downForMs(): number | null {
    return this.downSince === null ? null : Date.now() - this.downSince;
  }

  private reason(): string {
    return this.lastError ? `: ${this.lastError.message}` : '';
  }
}

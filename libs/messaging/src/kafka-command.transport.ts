import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, EventPattern, MessageHandler, Server } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom, Observable, throwError } from 'rxjs';
import { AppConfig } from '@bulk-export/config';
import { consumerGroup, Decoded, Topics } from '@bulk-export/contracts';
import { HealthCheck, Logger, Metrics } from '@bulk-export/observability';
import { PostgresHealth } from '@bulk-export/persistence';
import { CommandConsumer } from './command.consumer';
import { DeadLetter } from './dead-letter';
import { KafkaClient } from './kafka.client';
import { KafkaHealth, MessagingLifecycle } from './messaging.module';

/** A command topic of ours, by its key in Topics (e.g. `planRuns`). */
export type CommandTopic = keyof Topics;

/** What a command handler's `@EventPattern` carries: how a message of its topic becomes a command. */
interface CommandExtras {
  decode(bytes: Buffer | null): Decoded<object>;
  /**
   * A consumer group of its own, `<service>.<group>` (e.g. webhooks following the events topic); the service's group by
   * default.
   */
  group?: string;
  /** How many of its partitions' commands are handled at once (1 by default), from the configuration. */
  concurrency?: (config: AppConfig) => number;
}

/** A command message that could not be decoded: what `@InvalidCommands` handlers receive. */
export interface InvalidCommand {
  reason: string;
  message: KafkaMessage;
}

/** A command given up as poison: what `@GivenUpCommands` handlers receive. */
export interface GivenUpCommand<T> {
  command: T;
  reason: string;
}

/**
 * The handler of the commands on `topic`: an `@EventPattern` whose messages are decoded by
 * `decode` (an invalid one is dead-lettered, never handled). Throwing leaves the command
 * uncommitted and it is tried again; returning `{ rejected }` dead-letters it with that reason.
 */
export const HandleCommands = <T extends object>(
  topic: CommandTopic,
  decode: (bytes: Buffer | null) => Decoded<T>,
  options: Pick<CommandExtras, 'group' | 'concurrency'> = {},
): MethodDecorator => EventPattern(topic, { decode, ...options } satisfies CommandExtras);
/** Called with an InvalidCommand for a message of `topic` that could not be decoded (after it was dead-lettered). */
export const InvalidCommands = (topic: CommandTopic): MethodDecorator => EventPattern(`${topic}:invalid`);
/** Called with a GivenUpCommand for a command of `topic` given up as poison (after it was dead-lettered). */
export const GivenUpCommands = (topic: CommandTopic): MethodDecorator => EventPattern(`${topic}:given-up`);

/**
 * Command handlers' errors reach the transport as they were thrown (Nest's default RPC
 * filter would turn them into "Internal server error"): the transport logs them, counts
 * them and decides retry or poison. Put on each command controller with `@UseFilters`.
 */
@Catch()
export class CommandErrors implements RpcExceptionFilter {
  catch(error: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => error);
  }
}

/** The context of a command handler: the topic, partition and offset of its message. */
export class CommandContext extends BaseRpcContext<[string]> {}

/**
 * Our Kafka transport for `@nestjs/microservices` (a CustomTransportStrategy): each command
 * topic that has a `@HandleCommands` handler gets a CommandConsumer, which carries our
 * guarantees (an offset committed only after its handler finished, retries with backoff,
 * poison messages dead-lettered with the reason, heartbeats during long commands, lag
 * metrics, in-process reconnects). The consumers start once Kafka is connected, after the
 * HTTP server listens. Producing stays on the outbox.
 */
export class KafkaCommandTransport extends Server implements CustomTransportStrategy {
  private readonly consumers: CommandConsumer<object>[] = [];
  /** For /health/live: fails once a consumer has been down for CONSUMER_STUCK_MINUTES. */
  readonly liveness: HealthCheck;
  /** For /health/ready: fails while a consumer is not in its group. */
  readonly readiness: HealthCheck;

  constructor(
    private readonly service: string,
    private readonly kafka: KafkaClient,
    private readonly deadLetter: DeadLetter,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly topics: Topics,
    private readonly config: AppConfig,
    private readonly dependencies: [PostgresHealth, KafkaHealth],
    private readonly messaging: MessagingLifecycle,
  ) {
    super();
    const all = (pick: (c: CommandConsumer<object>) => HealthCheck) => async () => {
      if (this.consumers.length === 0) throw new Error('no command consumer started yet');
      await Promise.all(this.consumers.map((c) => pick(c).check()));
    };
    this.liveness = { name: 'consumers', check: all((c) => c.liveness) };
    this.readiness = { name: 'consumers', check: all((c) => c.readiness) };
  }

  listen(callback: () => void): void {
    for (const [pattern, handler] of this.messageHandlers) {
      if (pattern.includes(':')) continue;
      const extras = handler.extras as Partial<CommandExtras> | undefined;
      const topic = this.topics[pattern as CommandTopic];
      if (!topic || !extras?.decode)
        throw new Error(`@EventPattern('${pattern}') is not a command handler: use @HandleCommands(topic, decode)`);
      const invalid = this.messageHandlers.get(`${pattern}:invalid`);
      const givenUp = this.messageHandlers.get(`${pattern}:given-up`);
      const consumer = new CommandConsumer<object>(
        this.kafka,
        this.deadLetter,
        this.log,
        this.metrics,
        this.messaging.ready,
        {
          topic,
          groupId: consumerGroup(
            this.config.TOPIC_PREFIX,
            extras.group ? `${this.service}.${extras.group}` : this.service,
          ),
          sessionTimeoutMs: this.config.KAFKA_SESSION_TIMEOUT_MS,
          maxFailures: this.config.COMMAND_MAX_FAILURES,
          retryBaseMs: this.config.COMMAND_RETRY_BASE_MS,
          stuckMs: this.config.CONSUMER_STUCK_MINUTES * 60_000,
          kafkaRetries: this.config.KAFKA_CONSUMER_RETRIES,
          concurrency: extras.concurrency?.(this.config) ?? 1,
          dependencies: this.dependencies,
          decode: extras.decode,
          handle: (command) => this.invoke(handler, command, topic) as Promise<void | { rejected: string }>,
          onInvalid: invalid
            ? async (reason, message) =>
                void (await this.invoke(invalid, { reason, message } satisfies InvalidCommand, topic))
            : undefined,
          onGiveUp: givenUp
            ? async (command, reason) =>
                void (await this.invoke(givenUp, { command, reason } satisfies GivenUpCommand<object>, topic))
            : undefined,
        },
      );
      this.consumers.push(consumer);
      consumer.onApplicationBootstrap();
    }
    callback();
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.onApplicationShutdown()));
  }

  on(): never {
    throw new Error('KafkaCommandTransport emits no events');
  }

  unwrap<T>(): T {
    return this.kafka as T;
  }

  /**
   * Runs a Nest handler (guards, pipes, interceptors, CommandErrors) and returns what it returned, or throws what it
   * threw.
   */
  private async invoke(handler: MessageHandler, data: unknown, topic: string): Promise<unknown> {
    const result: unknown = await handler(data, new CommandContext([topic]));
    return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
  }
}

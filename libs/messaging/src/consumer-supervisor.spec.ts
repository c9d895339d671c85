import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { Logger, Metrics } from '@bulk-export/observability';
import { ConsumerSupervisor, OpenConsumer } from './consumer-supervisor';

/** A stand-in for a kafkajs consumer: only what the supervisor watches (its events) and disconnect. */
function fakeConsumer(): Consumer & { emitter: EventEmitter } {
  const emitter = new EventEmitter();
  const events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' };
  return {
    emitter,
    events,
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    disconnect: async () => undefined,
  } as unknown as Consumer & { emitter: EventEmitter };
}

const passes = async (check: { check(): Promise<void> }) =>
  check.check().then(
    () => true,
    () => false,
  );

async function until(condition: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ConsumerSupervisor', () => {
  const logger = new Logger('test', 'error', {}, { write: () => true } as unknown as NodeJS.WritableStream);

  it('is not ready while the consumer cannot connect, and fails liveness only once it has been down for the stuck time', async () => {
    let reachable = false;
    const consumers: ReturnType<typeof fakeConsumer>[] = [];
    const open: OpenConsumer = async (watch) => {
      if (!reachable) throw new Error('broker unreachable');
      const consumer = fakeConsumer();
      consumers.push(consumer);
      watch(consumer);
      return consumer;
    };
    const supervisor = new ConsumerSupervisor('t', open, 300, logger, new Metrics('test'));
    supervisor.start();
    try {
      expect(await passes(supervisor.readiness)).toBe(false);
      expect(await passes(supervisor.liveness)).toBe(true);
      await until(async () => !(await passes(supervisor.liveness)));
      await expect(supervisor.liveness.check()).rejects.toThrow(/stuck.*broker unreachable/);

      // The broker is back: the next try (backoff from 1 s) opens a consumer, and both checks pass.
      reachable = true;
      await until(async () => (await passes(supervisor.readiness)) && (await passes(supervisor.liveness)));
      expect(consumers).toHaveLength(1);

      // kafkajs gives that consumer up: a new one is opened in the process, with no exit.
      consumers[0].emitter.emit('consumer.crash', {
        payload: { error: new Error('group coordinator not found'), restart: false },
      });
      expect(await passes(supervisor.readiness)).toBe(false);
      await until(async () => consumers.length === 2 && (await passes(supervisor.readiness)));
      // A crash kafkajs restarts by itself is down until the consumer joins its group again.
      consumers[1].emitter.emit('consumer.crash', { payload: { error: new Error('rebalance'), restart: true } });
      expect(await passes(supervisor.readiness)).toBe(false);
      consumers[1].emitter.emit('consumer.group_join', {});
      expect(await passes(supervisor.readiness)).toBe(true);
      expect(consumers).toHaveLength(2);
    } finally {
      await supervisor.stop();
    }
  });

  it('opens the consumer again when kafkajs gives it up while it is being opened (a coordinator still loading)', async () => {
    const consumers: ReturnType<typeof fakeConsumer>[] = [];
    const open: OpenConsumer = async (watch) => {
      const consumer = fakeConsumer();
      consumers.push(consumer);
      watch(consumer);
      // The first one crashes for good before its open returns, as consumer.run() does.
      if (consumers.length === 1)
        consumer.emitter.emit('consumer.crash', {
          payload: { error: new Error('The coordinator is loading'), restart: false },
        });
      return consumer;
    };
    const supervisor = new ConsumerSupervisor('t', open, 60_000, logger, new Metrics('test'));
    supervisor.start();
    try {
      await until(async () => consumers.length === 2 && (await passes(supervisor.readiness)));
      expect(consumers).toHaveLength(2);
    } finally {
      await supervisor.stop();
    }
  });
});

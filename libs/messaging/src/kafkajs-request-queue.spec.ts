import { quietIdleRequestQueues, requestQueueClass } from './kafkajs-request-queue';

/** kafkajs's own request queue, with the idle fix installed: no timer while idle, and queued requests still go out. */
describe('kafkajs request queues', () => {
  const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const newQueue = (maxInFlightRequests: number | null) =>
    new (requestQueueClass())({
      maxInFlightRequests,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: 'b:9092',
      logger: silent,
    });
  const request = (correlationId: number, sent: number[]) => ({
    entry: {
      correlationId,
      apiName: 'Test',
      apiKey: 0,
      apiVersion: 0,
      resolve: () => undefined,
      reject: () => undefined,
    },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  });

  beforeAll(() => quietIdleRequestQueues());

  it('schedules no check while nothing is pending (kafkajs 2.2.4 ran one every millisecond)', () => {
    const queue = newQueue(null);
    try {
      (queue.checkPendingRequests as () => void)();
      expect(queue.throttleCheckTimeoutId).toBeNull();
      // A response with nothing waiting behind it: the same.
      const sent: number[] = [];
      (queue.push as (r: unknown) => void)(request(1, sent));
      expect(sent).toEqual([1]);
      (queue.fulfillRequest as (r: unknown) => void)({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(queue.throttleCheckTimeoutId).toBeNull();
    } finally {
      // Without the fix the queue's loop would keep the test process alive.
      (queue.destroy as () => void)();
    }
  });

  it('still sends a request queued behind a throttle once the throttle ends', async () => {
    const queue = newQueue(null);
    try {
      const sent: number[] = [];
      (queue.maybeThrottle as (ms: number) => void)(30);
      (queue.push as (r: unknown) => void)(request(7, sent));
      expect(sent).toEqual([]);
      expect(queue.throttleCheckTimeoutId).not.toBeNull();
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (sent.length === 0) return;
          clearInterval(poll);
          resolve();
        }, 5);
      });
      expect(sent).toEqual([7]);
    } finally {
      (queue.destroy as () => void)();
    }
  });

  it('still sends a request queued behind the in-flight limit once a response frees a slot', () => {
    const queue = newQueue(1);
    try {
      const sent: number[] = [];
      (queue.push as (r: unknown) => void)(request(1, sent));
      (queue.push as (r: unknown) => void)(request(2, sent));
      expect(sent).toEqual([1]);
      (queue.fulfillRequest as (r: unknown) => void)({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(sent).toEqual([1, 2]);
    } finally {
      (queue.destroy as () => void)();
    }
  });
});

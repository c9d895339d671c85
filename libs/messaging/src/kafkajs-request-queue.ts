/**
 * kafkajs 2.2.4 keeps every broker connection's request queue busy while it is idle: after
 * each check of its pending requests it schedules the next check, and with nothing pending
 * and no throttling the delay is negative, so the check runs again every millisecond, for
 * ever (kafkajs issue #1556). With a producer, an admin and a consumer per service that is
 * several such loops per process: each idle service burnt about 5% of a core, a fifth of
 * a core for the four of them on a 2-core machine.
 *
 * With no request pending, no later check is needed: a request that arrives goes through
 * push(), which sends it at once or queues it and schedules its own check (for the end of
 * a throttle, if there is one). So the check is scheduled only while requests wait.
 */
// The request queue is internal to kafkajs: no types, and no public way to reach it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };

export interface RequestQueueInternals {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

let installed = false;

/** Makes idle kafkajs request queues schedule nothing; once per process, before any client connects. */
export function quietIdleRequestQueues(): void {
  if (installed) return;
  const original = RequestQueue.prototype.scheduleCheckPendingRequests;
  if (typeof original !== 'function') {
    throw new Error(
      'kafkajs changed: RequestQueue.scheduleCheckPendingRequests is gone; review libs/messaging/src/kafkajs-request-queue.ts',
    );
  }
  installed = true;
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleWhilePending(
    this: RequestQueueInternals,
  ): void {
    if (this.pending.length === 0) return;
    original.call(this);
  };
}

/** The request queue class itself, for tests. */
export function requestQueueClass(): new (
  options: Record<string, unknown>,
) => RequestQueueInternals & Record<string, unknown> {
  return RequestQueue as unknown as new (
    options: Record<string, unknown>,
  ) => RequestQueueInternals & Record<string, unknown>;
}

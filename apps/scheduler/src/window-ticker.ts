import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@bulk-export/config';
import { HealthCheck, Logger, Metrics } from '@bulk-export/observability';
import { EmitDueWindowsUseCase } from './emit-due-windows.use-case';

/** Runs created per transaction; a tick goes on with further batches while they come back full. */
const BATCH = 50;

/**
 * Runs EmitDueWindows every SCHEDULER_TICK_MS. Not ready while ticks fail (Postgres down);
 * not live only when a tick has hung for CONSUMER_STUCK_MINUTES: an outage never gets the
 * scheduler restarted, it catches up on its own once Postgres is back.
 */
@Injectable()
export class WindowTicker implements OnApplicationBootstrap, OnApplicationShutdown, HealthCheck {
  readonly name = 'window-ticker';
  private timer: NodeJS.Timeout | null = null;
  private lastSuccess = Date.now();
  private tickStarted = 0;
  /** For /health/ready: ticks succeed. */
  readonly readiness: HealthCheck = {
    name: 'window-ticker',
    check: async () => {
      const silentFor = Date.now() - this.lastSuccess;
      if (silentFor > Math.max(30_000, this.config.SCHEDULER_TICK_MS * 10))
        throw new Error(`no successful tick for ${Math.round(silentFor / 1000)}s`);
    },
  };
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly emitDueWindows: EmitDueWindowsUseCase,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = null));
    }, this.config.SCHEDULER_TICK_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }

  /** For /health/live: no tick has hung for CONSUMER_STUCK_MINUTES. */
  async check(): Promise<void> {
    const busyFor = this.ticking ? Date.now() - this.tickStarted : 0;
    if (busyFor > this.config.CONSUMER_STUCK_MINUTES * 60_000)
      throw new Error(`a tick has been running for ${Math.round(busyFor / 1000)}s (stuck)`);
  }

  private async tick(): Promise<void> {
    this.tickStarted = Date.now();
    try {
      let emitted: number;
      do {
        const { created, retried, retriedTasks } = await this.emitDueWindows.execute({
          now: new Date(),
          graceMs: this.config.WINDOW_GRACE_MS,
          hourMs: this.config.RECURRING_INTERVAL_UNIT_MS,
          limit: BATCH,
        });
        emitted = created.length + retried.length + retriedTasks.length;
        this.metrics.windowsEmitted.inc({ kind: 'window' }, created.length);
        this.metrics.windowsEmitted.inc({ kind: 'retry' }, retried.length);
        for (const run of created) this.logger.info('window emitted', { exportId: run.exportId, runId: run.id });
        for (const run of retried)
          this.logger.info('retry emitted', { exportId: run.exportId, runId: run.id, attempt: run.attempt });
        for (const task of retriedTasks)
          this.logger.info('task retry emitted', {
            runId: task.runId,
            task: `${task.kind}-${task.seq}`,
            taskAttempt: task.taskAttempt,
          });
      } while (emitted >= BATCH);
      this.lastSuccess = Date.now();
    } catch (e) {
      this.logger.error('scheduler tick failed', { error: e });
    }
  }
}

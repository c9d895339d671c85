import { Injectable } from '@nestjs/common';
import { AppConfig } from '@bulk-export/config';
import { accountTopic, PlanRunCommand } from '@bulk-export/contracts';
import { extractTasks, PartitionRanges } from '@bulk-export/domain';
import {
  createTimeWarning,
  joinWarnings,
  KafkaClient,
  logBounds,
  planRanges,
  retentionWarning,
  timestampType,
  windowOffsets,
} from '@bulk-export/messaging';
import { Logger, Metrics } from '@bulk-export/observability';
import { RunContext, RunsRepository, RunTasksRepository } from '@bulk-export/persistence';
import { RunLifecycle } from '@bulk-export/pipeline';

/**
 * Plans a run's attempt: finds the offsets that bound its window on each partition of the
 * account's topic (planRanges), records them, and fans the read out into extract tasks
 * (extractTasks) that any extractor takes.
 */
@Injectable()
export class PlanRunUseCase {
  constructor(
    private readonly runs: RunsRepository,
    private readonly tasks: RunTasksRepository,
    private readonly lifecycle: RunLifecycle,
    private readonly kafka: KafkaClient,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  async execute(command: Pick<PlanRunCommand, 'runId' | 'attempt'>): Promise<void> {
    const ctx = await this.lifecycle.claim(command, 'extract', (max) =>
      this.runs.startExtraction(command.runId, command.attempt, (c) => this.lifecycle.statusEvents(c), max),
    );
    if (!ctx) {
      this.logger.debug('stale or planned run; command ignored', { ...command });
      return;
    }
    const holder = { attempt: ctx.run.attempt, claim: ctx.run.claim as string };
    const log = this.logger.child({ exportId: ctx.exportRow.id, runId: ctx.run.id, attempt: ctx.run.attempt });
    log.info('planning window', {
      windowStart: ctx.run.windowStart.toISOString(),
      windowEnd: ctx.run.windowEnd.toISOString(),
    });
    try {
      const { run, exportRow, account } = ctx;
      const profiles = exportRow.type === 'all_profiles';
      // A recurring profile export writes, by default, what each window captured; a snapshot reads the topic up to the
      // window's end.
      const snapshot = profiles && !(exportRow.frequency === 'recurring' && exportRow.profileMode === 'incremental');
      const topic = accountTopic(
        profiles ? this.config.PROFILES_TOPIC_TEMPLATE : this.config.EVENTS_TOPIC_TEMPLATE,
        account.id,
      );
      const plan = await this.planRead(ctx, topic, snapshot, log);
      const clock = createTimeWarning(topic, plan.ranges.length ? await timestampType(this.kafka, topic) : null);
      const extracts = extractTasks(plan.ranges, plan.deadLettered, this.config.EXTRACT_TASK_MAX_OFFSETS, profiles);
      const offsets: PartitionRanges = Object.fromEntries(
        plan.ranges.map((r) => [String(r.partition), { start: r.start.toString(), end: r.end.toString() }]),
      );
      const planned = await this.tasks.plan(
        run.id,
        holder,
        { offsets, warning: joinWarnings(plan.warning, clock), extracts },
        (t) => this.lifecycle.taskCommands(t),
      );
      log.info('window planned', { extractTasks: extracts.length, planned });
    } catch (e) {
      log.error('planning failed', { error: e });
      await this.lifecycle.failAttempt(ctx.run.id, holder, e, 'extract');
    }
  }

  /** A command given up as poison: its attempt fails with the reason, and the run is retried. */
  giveUp(command: Pick<PlanRunCommand, 'runId' | 'attempt'>, reason: string): Promise<void> {
    return this.lifecycle.giveUp(command, reason, 'extract');
  }

  /**
   * The offsets this attempt reads (planRanges): events and incremental profiles, what
   * Kafka captured inside the window; a profile snapshot, every value up to the window's
   * end. A retry reads what the run's earlier attempt recorded.
   */
  private async planRead(ctx: RunContext, topic: string, snapshot: boolean, log: Logger) {
    const { run } = ctx;
    const byTime = await windowOffsets(
      this.kafka,
      topic,
      snapshot ? 0 : run.windowStart.getTime(),
      run.windowEnd.getTime(),
    );
    if (byTime.length === 0) return { ranges: byTime, deadLettered: [], warning: null };
    const plan = planRanges({
      byTime,
      bounds: await logBounds(this.kafka, topic),
      recorded: run.offsets,
      previous: await this.runs.previousOffsets(run),
      continuePrevious: !snapshot,
      recordedSent: false,
    });
    // The rejected messages that earlier attempts' finished extract tasks dead-lettered are not sent again.
    plan.deadLettered.push(...(await this.tasks.extractedRanges(run.id, run.attempt)));
    if (plan.discarded.length > 0) {
      log.warn(
        'recorded offsets lie beyond the end of the topic (it was deleted and created again): the window is bounded by capture time',
        {
          partitions: plan.discarded,
        },
      );
    }
    for (const { partition, count } of plan.expired) {
      log.error('messages of the window were deleted by retention before they were read', {
        partition,
        count: Number(count),
      });
      this.metrics.messagesExpired.inc(Number(count));
    }
    log.debug('window bounded', {
      topic,
      reused: run.offsets !== null,
      ranges: plan.ranges.map((r) => `${r.partition}:${r.start}-${r.end}`),
    });
    const warning = retentionWarning(plan);
    if (plan.pastLogStart.length > 0)
      log.warn('the window reaches back past the oldest message the topic still holds', {
        partitions: plan.pastLogStart,
      });
    return { ...plan, warning };
  }
}

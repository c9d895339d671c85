import { Inject, Injectable } from '@nestjs/common';
import { mkdir, rm } from 'node:fs/promises';
import { AppConfig } from '@bulk-export/config';
import { accountTopic, Topics, UploadRun } from '@bulk-export/contracts';
import {
  CaptureOrder,
  createTimeWarning,
  DeadLetter,
  joinWarnings,
  KafkaClient,
  logBounds,
  OffsetRange,
  OutboxRelay,
  planRanges,
  probeAfterRanges,
  readRanges,
  retentionWarning,
  timestampType,
  TOPICS,
  windowOffsets,
} from '@bulk-export/messaging';
import { formatDay } from '@bulk-export/domain';
import { Logger, Metrics } from '@bulk-export/observability';
import { PartitionRanges, RunContext, RunHolder, RunsRepository } from '@bulk-export/persistence';
import { DuckDb, DuckDbQueue, maxEncodedEventNameBytes } from '@bulk-export/formats';
import {
  COUNT_STAGED,
  RawSink,
  RawSlice,
  removeRawFiles,
  RunLifecycle,
  selectRejectedSql,
  StagingStore,
  stageEventsSql,
  stageProfilesSql,
  stagedFiles,
  stagedSliceFile,
  stagedViewSql,
  writeStagedSql,
} from '@bulk-export/pipeline';

export interface StageWindow {
  runId: string;
  attempt: number;
}

/**
 * Turns a run's window into staged events: finds the offsets that bound the window on
 * each partition of the account's events topic, reads exactly those ranges in batches
 * into local line files that DuckDB reads and parses slice by slice into staged Parquet
 * files, sets aside messages that are not events (dead-letter topic), and hands the run
 * to the uploader.
 */
@Injectable()
export class StageWindowUseCase {
  constructor(
    private readonly runs: RunsRepository,
    private readonly lifecycle: RunLifecycle,
    private readonly staging: StagingStore,
    private readonly kafka: KafkaClient,
    private readonly deadLetter: DeadLetter,
    private readonly relay: OutboxRelay,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(command: StageWindow): Promise<void> {
    const ctx = await this.lifecycle.claim(command, 'extract', (max) =>
      this.runs.startExtraction(command.runId, command.attempt, (c) => this.lifecycle.statusEvents(c), max),
    );
    if (!ctx) {
      this.logger.debug('stale or finished run; command ignored', { ...command });
      return;
    }
    this.relay.nudge();
    const holder = { attempt: ctx.run.attempt, claim: ctx.run.claim as string };
    const log = this.logger.child({ exportId: ctx.exportRow.id, runId: ctx.run.id, attempt: ctx.run.attempt });
    log.info('staging window', { windowStart: ctx.run.windowStart.toISOString(), windowEnd: ctx.run.windowEnd.toISOString() });
    const timer = this.metrics.stageDuration.startTimer({ stage: 'extract' });
    try {
      const staged = await this.stage(ctx, holder, log);
      // Any uploader can read it now (with a staging bucket: uploaded with its checksums).
      await this.staging.publish(ctx.run.id, holder.attempt, holder.claim);
      timer();
      this.metrics.eventsStaged.inc(staged.rowsStaged);
      const message: UploadRun = {
        version: 1,
        runId: ctx.run.id,
        exportId: ctx.exportRow.id,
        attempt: ctx.run.attempt,
        stagingPath: staged.path,
        rowsStaged: staged.rowsStaged,
      };
      const handed = await this.runs.markStaged(ctx.run.id, holder, staged.stats, [
        { topic: this.topics.stagedRuns, key: ctx.exportRow.id, payload: message },
      ]);
      this.relay.nudge();
      log.info('window staged', { ...staged.stats, rowsStaged: staged.rowsStaged, handed });
    } catch (e) {
      log.error('staging failed', { error: e });
      await this.lifecycle.failAttempt(ctx.run.id, holder, e, 'extract');
    }
  }

  /** A command given up as poison: its attempt fails with the reason, and the run is retried. */
  giveUp(command: StageWindow, reason: string): Promise<void> {
    return this.lifecycle.giveUp(command, reason, 'extract');
  }

  private async stage(ctx: RunContext, holder: RunHolder, log: Logger) {
    const { run, exportRow, account } = ctx;
    const profiles = exportRow.type === 'all_profiles';
    // A recurring profile export writes, by default, what each window captured; a snapshot reads the topic up to the window's end.
    const incremental = profiles && exportRow.frequency === 'recurring' && exportRow.profileMode === 'incremental';
    const topic = accountTopic(profiles ? this.config.PROFILES_TOPIC_TEMPLATE : this.config.EVENTS_TOPIC_TEMPLATE, account.id);
    const dir = this.staging.localDir(run.id, run.attempt, holder.claim);
    // A redelivered command restarts this attempt from nothing; earlier attempts and claims are superseded.
    await rm(this.staging.localRunRoot(run.id), { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const { ranges, deadLettered, warning: planWarning } = await this.planRead(ctx, topic, profiles && !incremental, log);
    // Timestamps out of order around the window (producers' clocks) are said in the run's warning.
    const order = new CaptureOrder(profiles && !incremental ? 0 : run.windowStart.getTime(), run.windowEnd.getTime());
    const clock = createTimeWarning(topic, ranges.length ? await timestampType(this.kafka, topic) : null);
    const db = await DuckDb.open(':memory:', {
      memoryLimit: this.config.DUCKDB_MEMORY_LIMIT,
      threads: this.config.DUCKDB_THREADS,
      spillDir: dir,
    });
    try {
      const t0 = Date.now();
      // Event slices are staged as the read completes them, one at a time, then the rest side by side.
      const names = exportRow.type === 'select_events' ? exportRow.eventNames : null;
      const maxNameBytes = maxEncodedEventNameBytes(exportRow.prefix, account.databaseId);
      const stager = profiles
        ? null
        : new DuckDbQueue<RawSlice>(db, (connection, slice) =>
            connection.run(writeStagedSql(stageEventsSql(account.timeZone, names, slice.select, maxNameBytes), slice.number, stagedSliceFile(dir, slice.number))),
          );
      let read: { rows: number; slices: number };
      try {
        read = await this.read(db, dir, topic, ranges, run.id, holder, stager, order);
        await probeAfterRanges(this.kafka, this.logger, topic, ranges, order);
      } catch (e) {
        await stager?.abort();
        throw e;
      }
      const t1 = Date.now();
      if (stager) await stager.finish(this.config.DUCKDB_THREADS);
      else await db.run(writeStagedSql(stageProfilesSql(account.timeZone, formatDay(run.windowEnd, account.timeZone), incremental), 0, stagedSliceFile(dir, 0)));
      await db.run(stagedViewSql(await stagedFiles(dir)));
      const t2 = Date.now();
      await removeRawFiles(dir);
      const [rowsStaged, rowsRejected] = ((await db.rows(COUNT_STAGED))[0] as bigint[]).map(Number);
      await this.deadLetterRejected(db, selectRejectedSql(deadLettered), topic, profiles ? 'profiles' : 'events');
      const warning = joinWarnings(planWarning, order.warning(), clock);
      if (order.warning()) log.warn('message timestamps are out of order around the window', { warning: order.warning() });
      log.info('staging timings', { readMs: t1 - t0, stageAfterReadMs: t2 - t1, slices: read.slices, deadLetterMs: Date.now() - t2 });
      const offsets: PartitionRanges = Object.fromEntries(
        ranges.map((r) => [String(r.partition), { start: r.start.toString(), end: r.end.toString() }]),
      );
      return { path: dir, rowsStaged, stats: { rowsExtracted: read.rows, rowsRejected, offsets, warning } };
    } finally {
      db.close();
    }
  }

  /**
   * The offsets this attempt reads (planRanges): events and incremental profiles, what
   * Kafka captured inside the window; a profile snapshot, every value up to the window's
   * end. A retry reads what the run's earlier attempt recorded.
   */
  private async planRead(ctx: RunContext, topic: string, snapshot: boolean, log: Logger) {
    const { run } = ctx;
    const byTime = await windowOffsets(this.kafka, topic, snapshot ? 0 : run.windowStart.getTime(), run.windowEnd.getTime());
    if (byTime.length === 0) return { ranges: byTime, deadLettered: [], warning: null };
    const plan = planRanges({
      byTime,
      bounds: await logBounds(this.kafka, topic),
      recorded: run.offsets,
      previous: await this.runs.previousOffsets(run),
      continuePrevious: !snapshot,
    });
    if (plan.discarded.length > 0) {
      log.warn('recorded offsets lie beyond the end of the topic (it was deleted and created again): the window is bounded by capture time', {
        partitions: plan.discarded,
      });
    }
    for (const { partition, count } of plan.expired) {
      log.error('messages of the window were deleted by retention before they were read', { partition, count: Number(count) });
      this.metrics.messagesExpired.inc(Number(count));
    }
    log.debug('window bounded', { topic, reused: run.offsets !== null, ranges: plan.ranges.map((r) => `${r.partition}:${r.start}-${r.end}`) });
    const warning = retentionWarning(plan);
    if (plan.pastLogStart.length > 0) log.warn('the window reaches back past the oldest message the topic still holds', { partitions: plan.pastLogStart });
    return { ...plan, warning };
  }

  /**
   * Reads the ranges into `raw` through the RawSink: JavaScript copies each record's
   * bytes into local files that DuckDB reads in bulk; it decodes no message. Each
   * completed slice goes to `stager` (events) while the read goes on; a failed slice stops
   * the read. Returns the records read and the number of slices.
   */
  private async read(
    db: DuckDb,
    dir: string,
    topic: string,
    ranges: OffsetRange[],
    runId: string,
    holder: RunHolder,
    stager: DuckDbQueue<RawSlice> | null,
    order: CaptureOrder,
  ): Promise<{ rows: number; slices: number }> {
    const sink = await RawSink.open(db, dir, { onSlice: stager ? (slice) => stager.add(slice) : undefined });
    let reported = Date.now();
    try {
      await readRanges(this.kafka, this.logger, {
        topic,
        ranges,
        onRecords: async (partition, records) => {
          if (stager?.failure) throw stager.failure;
          await sink.append(partition, records);
          order.observe(partition, records);
          this.metrics.eventsRead.inc(records.length);
          if (Date.now() - reported > 1000) {
            reported = Date.now();
            void this.runs.reportProgress(runId, holder, { rowsExtracted: sink.rows }).catch(() => undefined);
          }
        },
      });
      await sink.finish();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    if (sink.slowRows > 0) this.logger.debug('records that took the appender', { rows: sink.slowRows });
    return { rows: sink.rows, slices: sink.slices.length };
  }

  /** Sends the messages that are not events (`select`: selectRejectedSql) to the dead-letter topic, in batches. */
  private async deadLetterRejected(db: DuckDb, select: string, topic: string, source: string): Promise<void> {
    for await (const rows of db.stream(select)) {
      // A key or value that was not UTF-8 goes as its bytes (raw_key, raw_value).
      const bytesOr = (raw: unknown, text: unknown) => (raw instanceof Uint8Array ? Buffer.from(raw) : text === null ? null : String(text));
      const sources = rows.map(([partition, offset, key, value, , rawKey, rawValue]) => ({
        topic,
        partition: Number(partition),
        offset: String(offset),
        key: bytesOr(rawKey, key),
        value: bytesOr(rawValue, value),
      }));
      await this.deadLetter.send(sources, rows.map((r) => String(r[4])), source);
    }
  }
}

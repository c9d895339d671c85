import { Injectable } from '@nestjs/common';
import { mkdir, rm } from 'node:fs/promises';
import { AppConfig } from '@bulk-export/config';
import { accountTopic } from '@bulk-export/contracts';
import { ExportFormat, ExtractResult, ExtractSpec, formatDay, SLICES_PER_TASK } from '@bulk-export/domain';
import {
  CaptureOrder,
  DeadLetter,
  KafkaClient,
  OffsetRange,
  probeAfterRanges,
  readRanges,
} from '@bulk-export/messaging';
import { Logger, Metrics } from '@bulk-export/observability';
import { TaskContext, TaskHolder } from '@bulk-export/persistence';
import { DuckDb, DuckDbQueue, shareOfMemoryLimit } from '@bulk-export/duckdb';
import { maxEncodedEventNameBytes } from '@bulk-export/formats';
import {
  RawSink,
  RawSinkOptions,
  RawSlice,
  SinkLines,
  removeRawFiles,
  selectRejectedSql,
  StagingStore,
  stageEventsSql,
  stageProfilesSql,
  stagedFiles,
  stagedSliceFile,
  stagedViewSql,
  TaskCommand,
  TaskSteps,
  writeStagedSql,
} from '@bulk-export/pipeline';

/** The name of a task's staging: the claim keeps a worker that lost the task out of its successor's folder. */
const partOf = (ctx: TaskContext, holder: TaskHolder) => `t${(ctx.task.spec as ExtractSpec).block}-${holder.claim}`;

/** What RawSink read: records, slices (grouped, staged as lines) and the groups of the slices staged as lines. */
interface SinkRead {
  rows: number;
  slices: number;
  grouped: number;
  asLines: number;
  lineGroups: { eventName: string; day: string; rows: number }[];
}

/** Rows per file group, summed over the slices that hold it. */
function countGroups(
  parts: readonly { eventName: string; day: string; rows: number }[],
): { eventName: string; day: string; rows: number }[] {
  const byKey = new Map<string, { eventName: string; day: string; rows: number }>();
  for (const { eventName, day, rows } of parts) {
    const key = JSON.stringify([eventName, day]);
    const group = byKey.get(key);
    if (group) group.rows += rows;
    else byKey.set(key, { eventName, day, rows });
  }
  return [...byKey.values()];
}

/**
 * How an events export's slices are staged as lines (see staged-lines.ts): a JSON export's as its files' lines, the
 * other formats' as the messages, which the XML writer transcodes and DuckDB reads for CSV and Parquet.
 */
function linesOf(format: ExportFormat, names: string[] | null): SinkLines {
  return { form: format === 'json' ? 'json' : 'message', keep: names ? new Set(names) : null };
}

const toRange = (r: { partition: number; start: string; end: string }): OffsetRange => ({
  partition: r.partition,
  start: BigInt(r.start),
  end: BigInt(r.end),
});

/**
 * One extract task: reads its offset range in batches into local line files that DuckDB
 * reads and parses slice by slice into staged Parquet files (numbered in the task's block,
 * so that all the run's slices keep Kafka's order), or, for an events export's slices that
 * the scan settles, writes their lines as staged (staged-lines.ts); sets aside messages that are not
 * events (dead-letter topic), publishes the staging for the uploaders, and records which
 * file groups it holds.
 */
@Injectable()
export class ExtractTaskUseCase {
  constructor(
    private readonly steps: TaskSteps,
    private readonly staging: StagingStore,
    private readonly kafka: KafkaClient,
    private readonly deadLetter: DeadLetter,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  execute(command: TaskCommand): Promise<void> {
    return this.steps.run(command, async (ctx, holder, log) => {
      const dir = this.staging.localDir(ctx.run.id, ctx.run.attempt, partOf(ctx, holder));
      // A failed try's staging is never read: its next try stages anew under its own claim.
      const result = await this.extract(ctx, holder, log).catch(async (e: unknown) => {
        await rm(dir, { recursive: true, force: true });
        throw e;
      });
      const recorded = await this.steps.complete(ctx, holder, result);
      log.info('extract task done', {
        rows: result.rows,
        rejected: result.rejected,
        groups: result.groups.length,
        recorded,
      });
    });
  }

  giveUp(command: TaskCommand, reason: string): Promise<void> {
    return this.steps.giveUp(command, reason);
  }

  private async extract(ctx: TaskContext, holder: TaskHolder, log: Logger): Promise<ExtractResult> {
    const { run, exportRow, account } = ctx;
    const spec = ctx.task.spec as ExtractSpec;
    const profiles = exportRow.type === 'all_profiles';
    const incremental = profiles && exportRow.frequency === 'recurring' && exportRow.profileMode === 'incremental';
    const topic = accountTopic(
      profiles ? this.config.PROFILES_TOPIC_TEMPLATE : this.config.EVENTS_TOPIC_TEMPLATE,
      account.id,
    );
    const part = partOf(ctx, holder);
    const dir = this.staging.localDir(run.id, run.attempt, part);
    await mkdir(dir, { recursive: true });
    const ranges = spec.ranges.map(toRange);
    // Timestamps out of order around the window (producers' clocks) are said in the run's warning.
    const order = new CaptureOrder(profiles && !incremental ? 0 : run.windowStart.getTime(), run.windowEnd.getTime());
    let result: ExtractResult;
    const db = await DuckDb.open(':memory:', {
      memoryLimit: shareOfMemoryLimit(this.config.DUCKDB_MEMORY_LIMIT, this.config.EXTRACT_TASKS_AT_ONCE),
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
            connection.run(
              writeStagedSql(
                stageEventsSql(account.timeZone, names, slice.select, maxNameBytes, { grouped: slice.grouped }),
                slice.number,
                stagedSliceFile(dir, slice.number),
              ),
            ),
          );
      let read: SinkRead;
      try {
        read = await this.read(
          db,
          dir,
          topic,
          ranges,
          stager,
          order,
          profiles ? undefined : { first: spec.block * SLICES_PER_TASK, size: SLICES_PER_TASK },
          profiles
            ? undefined
            : {
                maxEncodedNameBytes: maxNameBytes,
                // The slices the scan settles are staged as lines: DuckDB stages only the others.
                lines: linesOf(exportRow.format, names),
              },
        );
        await probeAfterRanges(
          this.kafka,
          this.logger,
          topic,
          ranges.filter((r) => spec.probe.includes(r.partition)),
          order,
        );
      } catch (e) {
        await stager?.abort();
        throw e;
      }
      const t1 = Date.now();
      if (stager) await stager.finish(this.config.DUCKDB_THREADS);
      else
        await db.run(
          writeStagedSql(
            stageProfilesSql(account.timeZone, formatDay(run.windowEnd, account.timeZone), incremental),
            0,
            stagedSliceFile(dir, 0),
          ),
        );
      await db.run(stagedViewSql(await stagedFiles(dir)));
      const t2 = Date.now();
      await removeRawFiles(dir);
      // One pass: the file groups staged, and the rejected messages (no event name) as the group of NULLs.
      const counted = (await db.rows('SELECT event_name, day, count(*) FROM staged GROUP BY ALL')) as [
        string | null,
        string | null,
        bigint,
      ][];
      const groups = countGroups([
        ...counted
          .filter(([eventName]) => eventName !== null)
          .map(([eventName, day, rows]) => ({ eventName: String(eventName), day: String(day), rows: Number(rows) })),
        ...read.lineGroups,
      ]);
      const rowsRejected = Number(counted.find(([eventName]) => eventName === null)?.[2] ?? 0);
      const rowsStaged = groups.reduce((n, g) => n + g.rows, 0);
      await this.deadLetterRejected(
        db,
        selectRejectedSql(spec.deadLettered.map(toRange)),
        topic,
        profiles ? 'profiles' : 'events',
      );
      const warning = order.warning();
      if (warning) log.warn('message timestamps are out of order around the window', { warning });
      log.info('staging timings', {
        readMs: t1 - t0,
        stageAfterReadMs: t2 - t1,
        slices: read.slices,
        slicesGrouped: read.grouped,
        slicesAsLines: read.asLines,
        deadLetterMs: Date.now() - t2,
        rowsRead: read.rows,
      });
      result = { rows: read.rows, rejected: rowsRejected, groups, warning, staging: part };
      this.metrics.eventsStaged.inc(rowsStaged);
    } finally {
      db.close();
    }
    // Any uploader can read it now (with a staging bucket: uploaded with its checksums).
    await this.staging.publish(run.id, run.attempt, part);
    return result;
  }

  /**
   * Reads the ranges into `raw` through the RawSink: JavaScript copies each record's
   * bytes into local files that DuckDB reads in bulk; it decodes no message. Each
   * completed slice goes to `stager` (events), in file-group order when the scan settled its
   * records' groups, while the read goes on, unless the sink staged it as lines (events);
   * a failed slice stops the read.
   */
  private async read(
    db: DuckDb,
    dir: string,
    topic: string,
    ranges: OffsetRange[],
    stager: DuckDbQueue<RawSlice> | null,
    order: CaptureOrder,
    block: { first: number; size: number } | undefined,
    groups: RawSinkOptions['groups'],
  ): Promise<SinkRead> {
    const sink = await RawSink.open(db, dir, {
      onSlice: stager ? (slice) => stager.add(slice) : undefined,
      block,
      groups,
    });
    try {
      await readRanges(this.kafka, this.logger, {
        topic,
        ranges,
        onRecords: async (partition, records) => {
          if (stager?.failure) throw stager.failure;
          await sink.append(partition, records);
          order.observe(partition, records);
          this.metrics.eventsRead.inc(records.length);
        },
      });
      await sink.finish();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    if (sink.slowRows > 0) this.logger.debug('records that took the appender', { rows: sink.slowRows });
    const slices = sink.slices;
    return {
      rows: sink.rows,
      slices: slices.length,
      grouped: slices.filter((slice) => slice.grouped).length,
      asLines: slices.filter((slice) => slice.lines).length,
      lineGroups: slices.flatMap((slice) => slice.lines ?? []),
    };
  }

  /** Sends the messages that are not events (`select`: selectRejectedSql) to the dead-letter topic, in batches. */
  private async deadLetterRejected(db: DuckDb, select: string, topic: string, source: string): Promise<void> {
    for await (const rows of db.stream(select)) {
      // A key or value that was not UTF-8 goes as its bytes (raw_key, raw_value).
      const bytesOr = (raw: unknown, text: unknown) =>
        raw instanceof Uint8Array ? Buffer.from(raw) : text === null ? null : String(text);
      const sources = rows.map(([partition, offset, key, value, , rawKey, rawValue]) => ({
        topic,
        partition: Number(partition),
        offset: String(offset),
        key: bytesOr(rawKey, key),
        value: bytesOr(rawValue, value),
      }));
      await this.deadLetter.send(
        sources,
        rows.map((r) => String(r[4])),
        source,
      );
    }
  }
}

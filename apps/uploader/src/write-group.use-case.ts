import { Injectable } from '@nestjs/common';
import { mkdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '@bulk-export/config';
import { BoundedTasks, ExportFormat, fileExtension, TaskFile, WriteSpec } from '@bulk-export/domain';
import { DuckDb } from '@bulk-export/duckdb';
import { BlockPool, GroupFormat, RunObjects } from '@bulk-export/formats';
import { Logger, Metrics } from '@bulk-export/observability';
import { TaskContext, TaskHolder } from '@bulk-export/persistence';
import { stagedFiles, StagingStore, TaskCommand, TaskSteps, writeStagedGroup } from '@bulk-export/pipeline';
import { ExpectedGeneration, uploadFile } from '@bulk-export/storage';
import { ExportBucket } from './export-bucket';
import { UploaderDuckDb } from './uploader-duckdb';

const UPLOADS_IN_FLIGHT = 3;

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/x-ndjson',
  csv: 'text/csv',
  xml: 'application/xml',
  parquet: 'application/vnd.apache.parquet',
};

/**
 * One write task: a file group (event name × day) written from the staging of the extract
 * tasks that hold its rows, in Kafka's order, split at the size limit, each file uploaded
 * with its CRC32C as soon as it is complete. Names depend only on the run and the data, so
 * a retry overwrites the same objects.
 */
@Injectable()
export class WriteGroupUseCase {
  constructor(
    private readonly steps: TaskSteps,
    private readonly staging: StagingStore,
    private readonly bucket: ExportBucket,
    private readonly duckdb: UploaderDuckDb,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    // One worker thread per write task run at once.
    BlockPool.setThreads(Math.max(config.DUCKDB_THREADS, config.WRITE_TASKS_AT_ONCE));
  }

  execute(command: TaskCommand): Promise<void> {
    return this.steps.run(command, async (ctx, holder, log) => {
      const started = Date.now();
      const files = await this.write(ctx, holder, log);
      const recorded = await this.steps.complete(ctx, holder, { files });
      log.info('group written', {
        files: files.length,
        rows: files.reduce((n, f) => n + f.rows, 0),
        ms: Date.now() - started,
        recorded,
      });
    });
  }

  private async write(ctx: TaskContext, holder: TaskHolder, log: Logger): Promise<TaskFile[]> {
    const { run, exportRow, account } = ctx;
    const group = ctx.task.spec as WriteSpec;
    const bucket = await this.bucket.open(exportRow);
    const sources = [];
    for (const source of group.sources)
      sources.push(...(await stagedFiles(await this.staging.fetch(run.id, run.attempt, source.staging))));
    const objects = new RunObjects(exportRow.prefix, exportRow.id, run.windowEnd);
    const seen = await this.bucket.generations(bucket, objects.groupPrefix(group.eventName, group.day), log);
    // The task's own folder (removed however the task ends): another worker that still works on this task (it lost the
    // command) keeps its own.
    const outDir = join(this.staging.localRunRoot(run.id), `out-${holder.claim}`);
    await mkdir(outDir, { recursive: true });
    const expected = (name: string): ExpectedGeneration => (seen ? (seen.get(name) ?? 0) : undefined);
    const extension = fileExtension(exportRow.format, exportRow.compression);
    const contentType = exportRow.compression === 'gzip' ? 'application/gzip' : CONTENT_TYPES[exportRow.format];
    const how: GroupFormat = {
      format: exportRow.format,
      compression: exportRow.compression,
      xmlLayout: exportRow.xmlLayout,
      records: exportRow.type === 'all_profiles' ? 'profiles' : 'events',
    };
    const maxBytes = Math.min(
      this.config.MAX_FILE_BYTES,
      exportRow.maxFileMb === null ? Infinity : exportRow.maxFileMb * 1024 * 1024,
    );
    const files: TaskFile[] = [];
    const uploads = new BoundedTasks(UPLOADS_IN_FLIGHT);
    let db: DuckDb | null = null;
    try {
      db = await this.duckdb.connect();
      await writeStagedGroup(db, how, group, sources, {
        // Local names stay short: an encoded event name can be longer than a file name may be.
        pathOf: (index) => join(outDir, `${index}.part`),
        maxBytes,
        gzip: exportRow.compression === 'gzip',
        onChunk: (chunk) =>
          uploads.add(async () => {
            const name = objects.file({
              eventName: group.eventName,
              day: group.day,
              index: chunk.index,
              databaseId: account.databaseId,
              extension,
            });
            const uploaded = await uploadFile(
              bucket.storage,
              bucket.bucket,
              chunk.path,
              name,
              contentType,
              expected(name),
              chunk.crc32c,
            );
            await unlink(chunk.path);
            files.push({
              objectName: name,
              eventName: group.eventName,
              day: group.day,
              fileIndex: chunk.index,
              rows: chunk.rows,
              bytes: uploaded.bytes,
              crc32c: uploaded.crc32c,
            });
            const format = exportRow.format;
            this.metrics.rowsWritten.inc({ format }, chunk.rows);
            this.metrics.bytesUploaded.inc({ format }, uploaded.bytes);
            this.metrics.filesUploaded.inc({ format });
          }),
      });
      await uploads.drain();
      // Every row the extract tasks counted is in the files: a staging this uploader cannot read fully fails the task.
      const written = files.reduce((n, f) => n + f.rows, 0);
      if (written !== group.rows)
        throw new Error(
          `the group ${JSON.stringify(group.eventName)} of ${group.day} has ${group.rows} staged rows, but ${written} were written`,
        );
    } finally {
      await uploads.drain().catch(() => undefined);
      db?.close();
      await rm(outDir, { recursive: true, force: true });
    }
    return files.sort((a, b) => a.fileIndex - b.fileIndex);
  }

  giveUp(command: TaskCommand, reason: string): Promise<void> {
    return this.steps.giveUp(command, reason);
  }
}

import { Injectable } from '@nestjs/common';
import { Storage } from '@google-cloud/storage';
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '@bulk-export/config';
import { BoundedTasks, ExportFormat, fileExtension } from '@bulk-export/domain';
import { BlockPool, DuckDb, GroupFormat, RunObjects, writeGroup } from '@bulk-export/formats';
import { OutboxRelay } from '@bulk-export/messaging';
import { Logger, Metrics } from '@bulk-export/observability';
import { CredentialsRepository, FileRecord, RunContext, RunHolder, RunsRepository } from '@bulk-export/persistence';
import { RunLifecycle, stagedFiles, stagedViewSql, StagingStore } from '@bulk-export/pipeline';
import { CredentialCipher, deleteObjectsExcept, ExpectedGeneration, GcsClientFactory, httpStatus, objectGenerations, parseServiceAccountKey, uploadFile } from '@bulk-export/storage';

export interface UploadRun {
  runId: string;
  attempt: number;
}

const UPLOADS_IN_FLIGHT = 3;

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/x-ndjson',
  csv: 'text/csv',
  xml: 'application/xml',
  parquet: 'application/vnd.apache.parquet',
};

/**
 * Writes a staged run as files — one group per (event name, day), split at MAX_FILE_BYTES
 * — uploads each with its CRC32C, writes the manifest last, records the files and only
 * then marks the run done. Names depend only on the run and the data, so a retry
 * overwrites the same objects.
 */
@Injectable()
export class UploadRunUseCase {
  constructor(
    private readonly runs: RunsRepository,
    private readonly credentials: CredentialsRepository,
    private readonly cipher: CredentialCipher,
    private readonly clients: GcsClientFactory,
    private readonly lifecycle: RunLifecycle,
    private readonly staging: StagingStore,
    private readonly relay: OutboxRelay,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    // One worker thread per file group written at once.
    BlockPool.setThreads(config.DUCKDB_THREADS);
  }

  async execute(command: UploadRun): Promise<void> {
    const ctx = await this.lifecycle.claim(command, 'upload', (max) => this.runs.startUpload(command.runId, command.attempt, max));
    if (!ctx) {
      this.logger.debug('stale or finished run; command ignored', { ...command });
      return;
    }
    const holder: RunHolder = { attempt: ctx.run.attempt, claim: ctx.run.claim as string };
    const log = this.logger.child({ exportId: ctx.exportRow.id, runId: ctx.run.id, attempt: ctx.run.attempt });
    const timer = this.metrics.stageDuration.startTimer({ stage: 'upload' });
    try {
      const stagingPath = await this.staging.fetch(ctx.run.id, ctx.run.attempt, ctx.run.stagedClaim as string);
      const files = await this.write(ctx, holder, stagingPath, log);
      const completed = await this.runs.complete(ctx.run.id, holder, files, (c) => this.lifecycle.statusEvents(c));
      this.relay.nudge();
      timer();
      if (completed) this.metrics.runsCompleted.inc({ format: ctx.exportRow.format });
      if (completed) await this.staging.removeRun(ctx.run.id);
      log.info('run uploaded', { files: files.length, rows: files.reduce((n, f) => n + f.rows, 0), completed });
    } catch (e) {
      log.error('upload failed', { error: e });
      await this.lifecycle.failAttempt(ctx.run.id, holder, e, 'upload');
    }
  }

  /** A command given up as poison: its attempt fails with the reason, and the run is retried. */
  giveUp(command: UploadRun, reason: string): Promise<void> {
    return this.lifecycle.giveUp(command, reason, 'upload');
  }

  private async write(ctx: RunContext, holder: RunHolder, stagingPath: string, log: Logger): Promise<FileRecord[]> {
    const { exportRow } = ctx;
    const credential = await this.credentials.findById(exportRow.credentialId);
    if (!credential) throw new Error("the export's credentials were deleted");
    const key = parseServiceAccountKey(this.cipher.open(credential, credential.id));
    const storage = this.clients.forKey(key);
    // The uploader's own folder: another uploader that still works on this attempt (it lost the command) keeps its own.
    const outDir = join(stagingPath, `out-${holder.claim}`);
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });

    const objects = new RunObjects(exportRow.prefix, exportRow.id, ctx.run.windowEnd);
    const seen = await this.generationsAtStart(storage, credential.bucket, objects, log);
    const expected = (name: string): ExpectedGeneration => (seen ? (seen.get(name) ?? 0) : undefined);
    const extension = fileExtension(exportRow.format, exportRow.compression);
    const contentType = exportRow.compression === 'gzip' ? 'application/gzip' : CONTENT_TYPES[exportRow.format];
    const files: FileRecord[] = [];
    const uploads = new BoundedTasks(UPLOADS_IN_FLIGHT);
    const progress = new ProgressReporter((done) =>
      this.runs.reportProgress(ctx.run.id, holder, {
        rowsWritten: done.reduce((n, f) => n + f.rows, 0),
        bytesWritten: done.reduce((n, f) => n + f.bytes, 0),
        filesCount: done.length,
      }),
    );

    // DUCKDB_THREADS file groups are written at once, each statement on one thread: a
    // statement on one thread writes its rows in order without holding finished batches
    // back for the slower thread, which ran CSV's COPY out of memory under 256MB.
    const db = await DuckDb.open(':memory:', {
      memoryLimit: this.config.DUCKDB_MEMORY_LIMIT,
      threads: 1,
      spillDir: outDir,
    });
    try {
      await db.run(stagedViewSql(await stagedFiles(stagingPath)));
      const groups = (await db.rows('SELECT event_name, day, count(*) FROM staged WHERE reason IS NULL GROUP BY ALL ORDER BY event_name, day')).map(
        ([eventName, day, rows]) => ({ eventName: String(eventName), day: String(day), rows: Number(rows) }),
      );
      const started = Date.now();
      const how: GroupFormat = {
        format: exportRow.format,
        compression: exportRow.compression,
        xmlLayout: exportRow.xmlLayout,
        records: exportRow.type === 'all_profiles' ? 'profiles' : 'events',
      };
      const maxBytes = Math.min(this.config.MAX_FILE_BYTES, exportRow.maxFileMb === null ? Infinity : exportRow.maxFileMb * 1024 * 1024);
      const writeOne = async (connection: DuckDb, groupIndex: number) => {
        const group = groups[groupIndex];
        const nameOf = (index: number) => objects.file({ eventName: group.eventName, day: group.day, index, databaseId: ctx.account.databaseId, extension });
        await writeGroup(connection, how, group, {
          // Local names stay short: an encoded event name can be longer than a file name may be.
          pathOf: (index) => join(outDir, `${groupIndex}-${index}.part`),
          maxBytes,
          gzip: exportRow.compression === 'gzip',
          onChunk: (chunk) =>
            uploads.add(async () => {
              const name = nameOf(chunk.index);
              const uploaded = await uploadFile(storage, credential.bucket, chunk.path, name, contentType, expected(name));
              await unlink(chunk.path);
              files.push({ objectName: name, eventName: group.eventName, day: group.day, fileIndex: chunk.index, rows: chunk.rows, bytes: uploaded.bytes, crc32c: uploaded.crc32c });
              const format = exportRow.format;
              this.metrics.rowsWritten.inc({ format }, chunk.rows);
              this.metrics.bytesUploaded.inc({ format }, uploaded.bytes);
              this.metrics.filesUploaded.inc({ format });
              progress.report(files);
            }),
        });
      };
      await db.forEachInParallel(groups.length, Math.max(1, this.config.DUCKDB_THREADS), writeOne);
      await uploads.drain();
      log.info('write timings', { writeAndUploadMs: Date.now() - started, groups: groups.length });
    } finally {
      db.close();
    }
    files.sort((a, b) => (a.eventName === b.eventName ? (a.day === b.day ? a.fileIndex - b.fileIndex : a.day < b.day ? -1 : 1) : a.eventName < b.eventName ? -1 : 1));
    if (seen) await this.removeStaleObjects(storage, credential.bucket, objects, files, seen, log);
    await this.writeManifest(storage, credential.bucket, ctx, objects.manifest, files, outDir, expected);
    log.debug('files written', { count: files.length });
    return files;
  }

  /**
   * The generation of each of the run's objects now: what this attempt may replace
   * (uploadFile's precondition; 0 for an object that does not exist yet) and delete. A
   * stale uploader, one that lost the run and works on, then can neither overwrite nor
   * delete what a newer attempt wrote. Null without the permission to list the bucket:
   * uploads then go without preconditions and nothing is deleted (the run claim still
   * keeps a stale uploader from completing the run).
   */
  private async generationsAtStart(storage: Storage, bucket: string, objects: RunObjects, log: Logger): Promise<Map<string, string> | null> {
    try {
      return await objectGenerations(storage, bucket, objects.prefix);
    } catch (e) {
      if (httpStatus(e) !== 403) throw e;
      log.warn("the key may not list the bucket: uploads replace objects without generation preconditions, and an earlier attempt's extra files stay", {
        error: e,
      });
      return null;
    }
  }

  /**
   * Deletes the run's objects that this attempt did not write: an earlier attempt cut its
   * files differently (another MAX_FILE_BYTES, another version of a writer) and left files
   * the manifest does not list, with events that are in this attempt's files too. Only
   * objects this attempt saw when it began (`seen`), unchanged: one written during the
   * attempt is another worker's, and stays. Without the permission to delete, the run goes
   * on and says which objects are left.
   */
  private async removeStaleObjects(storage: Storage, bucket: string, objects: RunObjects, files: FileRecord[], seen: ReadonlyMap<string, string>, log: Logger): Promise<void> {
    const keep = new Set([...files.map((f) => f.objectName), objects.manifest]);
    try {
      const { removed, left } = await deleteObjectsExcept(storage, bucket, objects.prefix, keep, seen);
      if (removed.length > 0) log.info('removed objects of an earlier attempt that this one did not write', { objects: removed });
      if (left.length > 0) log.warn("left objects that another worker wrote while this attempt ran; the manifest lists this run's files", { objects: left });
    } catch (e) {
      if (httpStatus(e) !== 403) throw e;
      log.warn("could not remove objects of an earlier attempt (no permission to delete); the manifest lists this run's files", { error: e });
    }
  }

  /** The manifest goes last: a loader that sees it knows every file of the run is there. */
  private async writeManifest(
    storage: Storage,
    bucket: string,
    ctx: RunContext,
    name: string,
    files: FileRecord[],
    outDir: string,
    expected: (name: string) => ExpectedGeneration,
  ): Promise<void> {
    const { run, exportRow, account } = ctx;
    const manifest = {
      version: 1,
      requestId: exportRow.id,
      runId: run.id,
      databaseId: account.databaseId,
      window: { start: run.windowStart.toISOString(), end: run.windowEnd.toISOString() },
      type: exportRow.type,
      ...(exportRow.type === 'all_profiles' ? { profileMode: exportRow.frequency === 'recurring' ? exportRow.profileMode : 'snapshot' } : {}),
      format: exportRow.format,
      compression: exportRow.compression,
      rows: files.reduce((n, f) => n + f.rows, 0),
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      files: files.map((f) => ({ name: f.objectName, eventName: f.eventName, day: f.day, index: f.fileIndex, rows: f.rows, bytes: f.bytes, crc32c: f.crc32c })),
    };
    // Local name: the object's may hold the export's folder.
    const path = join(outDir, 'manifest.json');
    await writeFile(path, JSON.stringify(manifest, null, 2) + '\n');
    await uploadFile(storage, bucket, path, name, 'application/json', expected(name));
  }
}

/** Reports the files uploaded so far at most once a second, so the API shows a run's progress. */
class ProgressReporter {
  private last = 0;
  constructor(private readonly send: (files: FileRecord[]) => Promise<void>) {}
  report(files: FileRecord[]): void {
    if (Date.now() - this.last < 1000) return;
    this.last = Date.now();
    void this.send([...files]).catch(() => undefined);
  }
}

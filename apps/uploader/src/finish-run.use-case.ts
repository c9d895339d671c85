import { Injectable } from '@nestjs/common';
import { writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskFile } from '@bulk-export/domain';
import { RunObjects } from '@bulk-export/formats';
import { Logger, Metrics } from '@bulk-export/observability';
import { RunContext, RunTasksRepository } from '@bulk-export/persistence';
import { RunLifecycle, StagingStore, TaskCommand, TaskSteps } from '@bulk-export/pipeline';
import { deleteObjectsExcept, ExpectedGeneration, httpStatus, uploadFile } from '@bulk-export/storage';
import { ExportBucket, ExportBucketHandle } from './export-bucket';

/**
 * A run's finish task, once every file group is up: removes the objects of an earlier
 * attempt that this one did not write, writes the manifest last, records the files and
 * marks the run done, then removes its staging.
 */
@Injectable()
export class FinishRunUseCase {
  constructor(
    private readonly steps: TaskSteps,
    private readonly tasks: RunTasksRepository,
    private readonly lifecycle: RunLifecycle,
    private readonly staging: StagingStore,
    private readonly bucket: ExportBucket,
    private readonly metrics: Metrics,
  ) {}

  execute(command: TaskCommand): Promise<void> {
    return this.steps.run(command, async (ctx, holder, log) => {
      const files = await this.tasks.filesOf(ctx.run);
      const bucket = await this.bucket.open(ctx.exportRow);
      const objects = new RunObjects(ctx.exportRow.prefix, ctx.exportRow.id, ctx.run.windowEnd);
      const seen = await this.bucket.generations(bucket, objects.prefix, log);
      if (seen) await this.removeStaleObjects(bucket, objects, files, seen, log);
      const scratch = join(this.staging.localRunRoot(ctx.run.id), `finish-${holder.claim}`);
      await mkdir(scratch, { recursive: true });
      try {
        await this.writeManifest(bucket, ctx, objects.manifest, files, scratch, (name) =>
          seen ? (seen.get(name) ?? 0) : undefined,
        );
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
      const completed = await this.tasks.finishRun(ctx.task.id, holder, files, (c) => this.lifecycle.statusEvents(c));
      if (completed) {
        this.metrics.runsCompleted.inc({ format: ctx.exportRow.format });
        await this.staging.removeRun(ctx.run.id);
      }
      log.info('run uploaded', { files: files.length, rows: files.reduce((n, f) => n + f.rows, 0), completed });
    });
  }

  giveUp(command: TaskCommand, reason: string): Promise<void> {
    return this.steps.giveUp(command, reason);
  }

  /**
   * Deletes the run's objects that this attempt did not write: an earlier attempt cut its
   * files differently (another MAX_FILE_BYTES, another version of a writer) and left files
   * the manifest does not list, with events that are in this attempt's files too. Only
   * objects unchanged since `seen` was listed. Without the permission to delete, the run
   * goes on and says which objects are left.
   */
  private async removeStaleObjects(
    bucket: ExportBucketHandle,
    objects: RunObjects,
    files: TaskFile[],
    seen: ReadonlyMap<string, string>,
    log: Logger,
  ): Promise<void> {
    const keep = new Set([...files.map((f) => f.objectName), objects.manifest]);
    try {
      const { removed, left } = await deleteObjectsExcept(bucket.storage, bucket.bucket, objects.prefix, keep, seen);
      if (removed.length > 0)
        log.info('removed objects of an earlier attempt that this one did not write', { objects: removed });
      if (left.length > 0)
        log.warn("left objects that another worker wrote while this attempt ran; the manifest lists this run's files", {
          objects: left,
        });
    } catch (e) {
      if (httpStatus(e) !== 403) throw e;
      log.warn(
        "could not remove objects of an earlier attempt (no permission to delete); the manifest lists this run's files",
        { error: e },
      );
    }
  }

  /** The manifest goes last: a loader that sees it knows every file of the run is there. */
  private async writeManifest(
    bucket: ExportBucketHandle,
    ctx: RunContext,
    name: string,
    files: TaskFile[],
    scratch: string,
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
      ...(exportRow.type === 'all_profiles'
        ? { profileMode: exportRow.frequency === 'recurring' ? exportRow.profileMode : 'snapshot' }
        : {}),
      format: exportRow.format,
      compression: exportRow.compression,
      rows: files.reduce((n, f) => n + f.rows, 0),
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      files: files.map((f) => ({
        name: f.objectName,
        eventName: f.eventName,
        day: f.day,
        index: f.fileIndex,
        rows: f.rows,
        bytes: f.bytes,
        crc32c: f.crc32c,
      })),
    };
    // Local name: the object's may hold the export's folder.
    const path = join(scratch, 'manifest.json');
    await writeFile(path, JSON.stringify(manifest, null, 2) + '\n');
    await uploadFile(bucket.storage, bucket.bucket, path, name, 'application/json', expected(name));
  }
}

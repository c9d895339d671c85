import { Injectable } from '@nestjs/common';
import type { Storage } from '@google-cloud/storage';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppConfig } from '@bulk-export/config';
import { Logger } from '@bulk-export/observability';
import { deploymentStorage, httpStatus, uploadFile } from '@bulk-export/storage';
import { isStagedLines, removeAttemptsUpTo, runStagingRoot, stagedFiles, stagingDir } from './staging';

/** The list of an attempt's staged files in the bucket, written after them. */
const STAGED_LIST = 'staged.json';
/** In a fetched copy: every file of it arrived. */
const FETCHED = '.fetched';
/** A run's fetched stagings that this process has not read for this long are removed. */
const CACHE_IDLE_MS = 10 * 60 * 1000;

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Where staged windows travel between the extractor and the uploader. */
export type StagingLocation = { kind: 'folder'; root: string } | { kind: 'bucket'; bucket: string; prefix: string };

/**
 * STAGING_URI read: `gs://bucket/prefix` (a final `/` added to the prefix), `file:///path`,
 * or empty for the folder STAGING_DIR.
 */
export function stagingLocation(uri: string, stagingDirectory: string): StagingLocation {
  if (uri === '') return { kind: 'folder', root: stagingDirectory };
  if (uri.startsWith('file://')) return { kind: 'folder', root: uri.slice('file://'.length) };
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`STAGING_URI must be gs://bucket[/prefix/] or file:///path, not ${uri}`);
  const prefix = m[2] === '' || m[2].endsWith('/') ? m[2] : `${m[2]}/`;
  return { kind: 'bucket', bucket: m[1], prefix };
}

/** The object name of a run's staging (`attempt` and `claim`: one attempt's, else the whole run's). */
export function stagingObjectPrefix(prefix: string, runId: string, attempt?: number, claim?: string): string {
  return attempt === undefined ? `${prefix}${runId}/` : `${prefix}${runId}/attempt-${attempt}-${claim}/`;
}

/**
 * The staged files of a run's attempts, from the extractor that writes them to the uploader
 * that reads them. In a folder both services see (single node), nothing moves. With a
 * bucket, the extractor stages in its own local scratch (STAGING_DIR) and publishes the
 * attempt's files, each with its CRC32C, under `<prefix><run>/attempt-<n>-<claim>/`; the
 * uploader fetches them into its own scratch. The claim in the name keeps a stale worker's
 * files apart, as the folder does. A run's objects go when it is done, an attempt's when it
 * fails; a bucket lifecycle rule is the safety net for what a crash leaves (README).
 */
@Injectable()
export class StagingStore {
  readonly location: StagingLocation;
  private storage: Storage | null = null;
  /** When this process last read each run's fetched staging. */
  private readonly cacheUsed = new Map<string, number>();
  /** Downloads under way, by local folder. */
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(
    private readonly config: AppConfig,
    private readonly logger: Logger,
  ) {
    this.location = stagingLocation(config.STAGING_URI, config.STAGING_DIR);
  }

  /**
   * The local folder of a staging (`part`: an extract task's, with its claim): where the extractor stages it and the
   * uploader reads it.
   */
  localDir(runId: string, attempt: number, part: string): string {
    return stagingDir(this.localRoot, runId, attempt, part);
  }

  /** The local folder of all attempts of a run. */
  localRunRoot(runId: string): string {
    return runStagingRoot(this.localRoot, runId);
  }

  /**
   * Makes a staging's files (an extract task's, in `localDir`) readable by any uploader; with a bucket, the local copy
   * then goes.
   */
  async publish(runId: string, attempt: number, part: string): Promise<void> {
    if (this.location.kind === 'folder') return;
    const dir = this.localDir(runId, attempt, part);
    const prefix = stagingObjectPrefix(this.location.prefix, runId, attempt, part);
    const files: string[] = [];
    for (const path of await stagedFiles(dir)) {
      await uploadFile(
        this.client(),
        this.location.bucket,
        path,
        prefix + basename(path),
        isStagedLines(path) ? 'application/x-ndjson' : 'application/vnd.apache.parquet',
      );
      files.push(basename(path));
    }
    // Last, the list: an uploader reads only a complete staging, never the part of one.
    const list = join(dir, STAGED_LIST);
    await writeFile(list, JSON.stringify({ files }));
    await uploadFile(this.client(), this.location.bucket, list, prefix + STAGED_LIST, 'application/json');
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * The local folder holding a staging's files (an extract task's, named by `part`), fetched
   * from the bucket when there is one. A fetched staging is kept as a cache: the write
   * tasks of a run that one replica takes read the same extract tasks' files, and staged
   * files never change (a new claim is a new name). Cached stagings of runs this process has
   * not read for CACHE_IDLE_MS go (the run that finishes removes its own everywhere it can).
   */
  async fetch(runId: string, attempt: number, part: string): Promise<string> {
    const dir = this.localDir(runId, attempt, part);
    if (this.location.kind === 'folder') return dir;
    this.cacheUsed.set(runId, Date.now());
    await this.evictIdle();
    // Write tasks run side by side: one download per staging, the others wait for it.
    let fetching = this.fetching.get(dir);
    if (!fetching) {
      fetching = this.download(runId, attempt, part, dir).finally(() => this.fetching.delete(dir));
      this.fetching.set(dir, fetching);
    }
    return fetching;
  }

  private async download(runId: string, attempt: number, part: string, dir: string): Promise<string> {
    if (this.location.kind !== 'bucket') return dir;
    const complete = join(dir, FETCHED);
    if (await exists(complete)) return dir;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const bucket = this.client().bucket(this.location.bucket);
    const prefix = stagingObjectPrefix(this.location.prefix, runId, attempt, part);
    // The CRC32C GCS holds is checked against what arrived: a corrupt copy fails the try, which is retried.
    const fetchOne = (name: string) =>
      bucket.file(prefix + name).download({ destination: join(dir, name), validation: 'crc32c' });
    try {
      await fetchOne(STAGED_LIST);
    } catch (e) {
      if (httpStatus(e) !== 404) throw e;
      throw new Error(
        `the staged data is missing from the staging store (gs://${this.location.bucket}/${prefix}): the run's attempt is retried, and extracts the window again`,
        { cause: e },
      );
    }
    const { files } = JSON.parse(await readFile(join(dir, STAGED_LIST), 'utf8')) as { files: string[] };
    for (const name of files) await fetchOne(name);
    await writeFile(complete, '');
    return dir;
  }

  /** Removes the local cache of runs not read for CACHE_IDLE_MS. */
  private async evictIdle(): Promise<void> {
    const now = Date.now();
    for (const [runId, used] of this.cacheUsed) {
      if (now - used < CACHE_IDLE_MS) continue;
      this.cacheUsed.delete(runId);
      await rm(this.localRunRoot(runId), { recursive: true, force: true });
    }
  }

  /** Removes everything staged for a run (it is done). */
  async removeRun(runId: string): Promise<void> {
    this.cacheUsed.delete(runId);
    await rm(this.localRunRoot(runId), { recursive: true, force: true });
    if (this.location.kind === 'bucket')
      await this.deleteObjects(stagingObjectPrefix(this.location.prefix, runId), () => true);
  }

  /** Removes the staging of a run's attempts up to `attempt` (it failed); a newer attempt's stays. */
  async removeAttemptsUpTo(runId: string, attempt: number): Promise<void> {
    await removeAttemptsUpTo(this.localRoot, runId, attempt);
    if (this.location.kind !== 'bucket') return;
    const runPrefix = stagingObjectPrefix(this.location.prefix, runId);
    await this.deleteObjects(runPrefix, (name) => {
      const m = /^attempt-(\d+)-/.exec(name.slice(runPrefix.length));
      return m !== null && Number(m[1]) <= attempt;
    });
  }

  private get localRoot(): string {
    return this.location.kind === 'folder' ? this.location.root : this.config.STAGING_DIR;
  }

  private async deleteObjects(prefix: string, which: (name: string) => boolean): Promise<void> {
    const bucket = this.client().bucket((this.location as { bucket: string }).bucket);
    const [files] = await bucket.getFiles({ prefix });
    for (const file of files.filter((f) => which(f.name))) {
      await file.delete({ ignoreNotFound: true });
    }
    this.logger.debug('staging objects removed', { prefix, count: files.length });
  }

  private client(): Storage {
    this.storage ??= deploymentStorage(this.config);
    return this.storage;
  }
}

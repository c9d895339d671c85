import { decodeEventName, encodeEventName } from './event-name';

/** The fields of an exported file's name. */
export interface FileNameParts {
  /** The export's id. */
  requestId: string;
  /** The run's scheduled time (its window's end); the same for every attempt of the run. */
  runTime: Date;
  /** The event name, or `profiles` for profile exports. */
  eventName: string;
  /** yyyymmdd */
  day: string;
  index: number;
  databaseId: string;
  /** e.g. `json`, `csv.gz`, `parquet` */
  extension: string;
}

/** `20261128T221500Z`, with `.123` before the Z when the time has milliseconds. No `-`. */
export function formatRunTime(time: Date): string {
  const iso = time.toISOString(); // 2026-11-28T22:15:00.123Z
  const ms = time.getUTCMilliseconds();
  return iso.slice(0, 19).replace(/[-:]/g, '') + (ms ? `.${String(ms).padStart(3, '0')}` : '') + 'Z';
}

export function parseRunTime(text: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z$/.exec(text);
  if (!m) throw new Error(`not a run time: ${text}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? +m[7] : 0));
}

/**
 * What the names of every object of one run start with, `<request id>-<run time>-`: the
 * run time is its window's end, so no other run of the export shares it.
 */
export function runObjectPrefix(requestId: string, runTime: Date): string {
  return `${requestId}-${formatRunTime(runTime)}-`;
}

/** `<request id>-<run time>-<event name>-<yyyymmdd>-<file index>-<database id>.<ext>` */
export function fileName(p: FileNameParts): string {
  return `${runObjectPrefix(p.requestId, p.runTime)}${encodeEventName(p.eventName)}-${p.day}-${p.index}-${p.databaseId}.${p.extension}`;
}

export function parseFileName(name: string): FileNameParts {
  const fields = name.split('-');
  if (fields.length !== 6) throw new Error(`not an export file name: ${name}`);
  const [requestId, runTime, eventName, day, index, last] = fields;
  const dot = last.indexOf('.');
  if (dot < 1 || !/^\d{8}$/.test(day) || !/^\d+$/.test(index)) throw new Error(`not an export file name: ${name}`);
  return {
    requestId,
    runTime: parseRunTime(runTime),
    eventName: decodeEventName(eventName),
    day,
    index: Number(index),
    databaseId: last.slice(0, dot),
    extension: last.slice(dot + 1),
  };
}

/** The manifest of a run, written last: its presence tells a loader the run is complete. */
export function manifestName(requestId: string, runTime: Date): string {
  return `${runObjectPrefix(requestId, runTime)}manifest.json`;
}

/**
 * The names of one run's objects in the bucket, under the export's folder (`prefix`: '' or
 * ending in `/`): its files, its manifest, and what all of them start with.
 */
export class RunObjects {
  /** What every object of the run starts with: folder, request id, run time. */
  readonly prefix: string;
  readonly manifest: string;

  constructor(
    private readonly folder: string,
    private readonly requestId: string,
    private readonly runTime: Date,
  ) {
    this.prefix = folder + runObjectPrefix(requestId, runTime);
    this.manifest = folder + manifestName(requestId, runTime);
  }

  /**
   * What every file of one group (event name × day) starts with: no other group's name does (encoded names hold no
   * `-`).
   */
  groupPrefix(eventName: string, day: string): string {
    return `${this.prefix}${encodeEventName(eventName)}-${day}-`;
  }

  file(p: Omit<FileNameParts, 'requestId' | 'runTime'>): string {
    return this.folder + fileName({ ...p, requestId: this.requestId, runTime: this.runTime });
  }
}

/**
 * The most bytes of a file name besides its event name: request id, run time with milliseconds, day, a six-digit index,
 * database id, extension, separators.
 */
const FIXED_NAME_BYTES = 26 + 20 + 8 + 6 + 7 + 5;

/** GCS's limit on an object's name, in UTF-8 bytes. */
export const MAX_OBJECT_NAME_BYTES = 1024;

/**
 * How long an encoded event name may be (encodeEventName) for its objects' names to stay
 * within GCS's limit under `folder`. Without a folder, every event name staging accepts fits.
 */
export function maxEncodedEventNameBytes(folder: string, databaseId: string): number {
  return (
    MAX_OBJECT_NAME_BYTES - Buffer.byteLength(folder, 'utf8') - Buffer.byteLength(databaseId, 'utf8') - FIXED_NAME_BYTES
  );
}

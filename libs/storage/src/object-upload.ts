import { Storage } from '@google-cloud/storage';
import { crc32c as crc32cUpdate } from '@node-rs/crc32';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { FilePieces } from './file-pieces';
import { nextTryInMs, UploadTimedOut } from './transient-errors';
import { httpStatus } from './http-status';

export interface UploadedObject {
  name: string;
  bytes: number;
  /** base64 CRC32C of the content, checked by GCS on arrival. */
  crc32c: string;
}

const RESUMABLE_ABOVE = 8 * 1024 * 1024;
/**
 * Where uploaded files are read: in 1 MiB pieces (the client's `bucket.upload` reads 64 KiB at a time, and each piece
 * goes through its streams on its way to the request), into buffers used again from one upload to the next.
 */
const filePieces = new FilePieces();
/** Tries of one upload, for failures that may pass (transient-errors). */
const UPLOAD_ATTEMPTS = 6;

/** The client's request timeout (GcsClientFactory sets it from GCS_REQUEST_TIMEOUT_MS). */
function requestTimeoutMs(storage: Storage): number {
  const timeout = (storage as unknown as { timeout?: unknown }).timeout;
  return typeof timeout === 'number' && timeout > 0 ? timeout : 60_000;
}

/**
 * `upload`, or UploadTimedOut once `ms` passed without progress: the client does not bound a
 * resumable upload, nor a simple upload's wait for its response. `upload` calls `progressed` as it
 * goes (a piece of the file taken by the request), which starts the `ms` again: a large file on a
 * slow link takes as long as it needs, a stalled one is cut off. The abandoned upload is aborted
 * through `signal`, so it neither goes on sending beside the next try nor finishes late.
 */
async function withDeadline<T>(
  upload: (signal: AbortSignal, progressed: () => void) => Promise<T>,
  ms: number,
  objectName: string,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const running = upload(abort.signal, () => timer?.refresh());
  running.catch(() => undefined);
  try {
    return await Promise.race([
      running,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => {
            reject(new UploadTimedOut(objectName, ms));
            abort.abort();
          }, ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** CRC32C of a file, base64 of the big-endian value, as GCS reports it (native code, streaming). */
export async function crc32cOfFile(path: string): Promise<string> {
  const read = filePieces.read(path);
  let crc = 0;
  for await (const piece of read.stream) crc = crc32cUpdate(piece as Buffer, crc);
  // Each piece was done with before the next was read.
  read.release();
  return crc32cBase64(crc);
}

/** A CRC32C as GCS writes it: base64 of the big-endian value. */
export function crc32cBase64(crc: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc >>> 0);
  return out.toString('base64');
}

/**
 * The CRC32C validator for the GCS client's downloads (`validation: 'crc32c'`), computed natively: the client's
 * own is JavaScript, a byte at a time, and cost about 4 CPU-ns per byte (2 CPU-s for a window of 540 MB staged).
 */
export function nativeCrc32c(): { update(data: Buffer): void; validate(value: string): boolean; toString(): string } {
  let crc = 0;
  return {
    update(data: Buffer): void {
      crc = crc32cUpdate(data, crc);
    },
    validate(value: string): boolean {
      return crc32cBase64(crc) === value;
    },
    toString(): string {
      return crc32cBase64(crc);
    },
  };
}

/**
 * The object a worker expects to replace: the generation it saw when its attempt began,
 * or 0 for an object that did not exist then. Undefined uploads unconditionally (a key
 * that may not list the bucket).
 */
export type ExpectedGeneration = string | number | undefined;

/** Another worker wrote the object, with other bytes, since this attempt looked at the bucket. */
export class ObjectChangedError extends Error {
  constructor(
    readonly objectName: string,
    expected: string | number,
  ) {
    super(
      `object ${objectName} was written by another worker while this attempt ran (it is no longer ` +
        `${expected === 0 || expected === '0' ? 'absent' : `generation ${expected}`}); this attempt stops and the run is retried`,
    );
    this.name = 'ObjectChangedError';
  }
}

/**
 * Uploads a finished local file. Its CRC32C, computed locally, travels with the upload as
 * the object's declared checksum: GCS verifies it on arrival and rejects the object if
 * what arrived differs, so a corrupt upload never stands (and the client does not hash
 * the bytes a second time). Large files go as resumable uploads, so a dropped connection
 * resumes instead of restarting.
 *
 * With `expected` the upload carries the precondition `ifGenerationMatch`: it replaces
 * only the object the attempt saw when it began, so a stale worker (one that lost the run
 * and works on) cannot overwrite a newer attempt's object. When the precondition fails
 * but the object holds exactly these bytes (the same data written by another attempt, or
 * this request retried after it had succeeded), the upload counts as done; otherwise
 * ObjectChangedError.
 *
 * A failure that may pass (429 or 503, waiting what Retry-After asks; a reset connection; an
 * upload that goes the client's request timeout without progress or answer) is tried again, up to
 * UPLOAD_ATTEMPTS times, before the attempt fails.
 */
export async function uploadFile(
  storage: Storage,
  bucketName: string,
  localPath: string,
  objectName: string,
  contentType: string,
  expected?: ExpectedGeneration,
  /** The file's CRC32C when its writer computed it; otherwise it is read from the file. */
  knownCrc32c?: number,
): Promise<UploadedObject> {
  const [{ size }, crc32c] = await Promise.all([
    stat(localPath),
    knownCrc32c === undefined ? crc32cOfFile(localPath) : crc32cBase64(knownCrc32c),
  ]);
  const bucket = storage.bucket(bucketName);
  const timeoutMs = requestTimeoutMs(storage);
  for (let attempt = 1; ; attempt++) {
    let progressed = (): void => undefined;
    // A piece is read only once the request took the ones before it (FilePieces): progress.
    const read = filePieces.read(localPath, () => progressed());
    try {
      await withDeadline(
        (signal, onProgress) => {
          progressed = onProgress;
          return pipeline(
            read.stream,
            bucket.file(objectName).createWriteStream({
              resumable: size > RESUMABLE_ABOVE,
              validation: false,
              timeout: timeoutMs,
              metadata: { contentType, crc32c },
              ...(expected === undefined ? {} : { preconditionOpts: { ifGenerationMatch: expected } }),
            }),
            { signal },
          );
        },
        timeoutMs,
        objectName,
      );
      // The object is complete: its request sent every piece.
      read.release();
      break;
    } catch (e) {
      if (expected !== undefined && httpStatus(e) === 412) {
        const [current] = await bucket.file(objectName).getMetadata();
        if (current.crc32c !== crc32c || Number(current.size) !== size)
          throw new ObjectChangedError(objectName, expected);
        break;
      }
      // A 429 or 503 (waiting what Retry-After asks), a reset connection, an upload that hung: sent again.
      const wait = nextTryInMs(e, attempt, UPLOAD_ATTEMPTS);
      if (wait === null) throw e;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return { name: objectName, bytes: size, crc32c };
}

/**
 * The generation of every object whose name starts with `prefix` (a run's objects): what
 * an attempt that begins now may replace (uploadFile's `expected`).
 */
export async function objectGenerations(
  storage: Storage,
  bucketName: string,
  prefix: string,
): Promise<Map<string, string>> {
  const [objects] = await storage.bucket(bucketName).getFiles({ prefix, autoPaginate: true });
  return new Map(objects.map((o) => [o.name, String(o.metadata.generation)]));
}

/** What deleteObjectsExcept removed, and what it left because another writer made it during the attempt. */
export interface StaleObjects {
  removed: string[];
  left: string[];
}

/**
 * Deletes the objects whose names start with `prefix` that are not in `keep`: what an
 * earlier attempt of a run wrote and this one did not (its files were cut differently:
 * another MAX_FILE_BYTES, another version of a writer). Only objects this attempt saw when
 * it began (`seen`: name → generation), unchanged since: an object written during the
 * attempt comes from another worker, perhaps a newer attempt whose finished files these
 * are, so it is left (and named in `left`), never deleted.
 */
export async function deleteObjectsExcept(
  storage: Storage,
  bucketName: string,
  prefix: string,
  keep: ReadonlySet<string>,
  seen: ReadonlyMap<string, string>,
): Promise<StaleObjects> {
  const [objects] = await storage.bucket(bucketName).getFiles({ prefix, autoPaginate: true });
  const result: StaleObjects = { removed: [], left: [] };
  for (const object of objects) {
    if (keep.has(object.name)) continue;
    const generation = seen.get(object.name);
    if (generation === undefined || generation !== String(object.metadata.generation)) {
      result.left.push(object.name);
      continue;
    }
    try {
      await object.delete({ ignoreNotFound: true, ifGenerationMatch: generation });
      result.removed.push(object.name);
    } catch (e) {
      if (httpStatus(e) !== 412) throw e;
      result.left.push(object.name);
    }
  }
  return result;
}

import { Storage } from '@google-cloud/storage';
import { crc32c as crc32cUpdate } from '@node-rs/crc32';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface UploadedObject {
  name: string;
  bytes: number;
  /** base64 CRC32C of the content, checked by GCS on arrival. */
  crc32c: string;
}

const RESUMABLE_ABOVE = 8 * 1024 * 1024;

/** CRC32C of a file, base64 of the big-endian value, as GCS reports it (native code, streaming). */
export async function crc32cOfFile(path: string): Promise<string> {
  let crc = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) crc = crc32cUpdate(chunk as Buffer, crc);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc >>> 0);
  return out.toString('base64');
}

/**
 * Uploads a finished local file. Its CRC32C, computed locally, travels with the upload as
 * the object's declared checksum: GCS verifies it on arrival and rejects the object if
 * what arrived differs, so a corrupt upload never stands (and the client does not hash
 * the bytes a second time). Large files go as resumable uploads, so a dropped connection
 * resumes instead of restarting.
 */
export async function uploadFile(
  storage: Storage,
  bucketName: string,
  localPath: string,
  objectName: string,
  contentType: string,
): Promise<UploadedObject> {
  const [{ size }, crc32c] = await Promise.all([stat(localPath), crc32cOfFile(localPath)]);
  await storage.bucket(bucketName).upload(localPath, {
    destination: objectName,
    resumable: size > RESUMABLE_ABOVE,
    validation: false,
    metadata: { contentType, crc32c },
  });
  return { name: objectName, bytes: size, crc32c };
}

/**
 * Deletes the objects whose names start with `prefix` that are not in `keep`, and returns
 * their names. For what an earlier attempt of a run wrote and this one did not (its files
 * were cut differently: another MAX_FILE_BYTES, another version of a writer).
 */
export async function deleteObjectsExcept(storage: Storage, bucketName: string, prefix: string, keep: ReadonlySet<string>): Promise<string[]> {
  const [objects] = await storage.bucket(bucketName).getFiles({ prefix, autoPaginate: true });
  const stale = objects.filter((o) => !keep.has(o.name));
  for (const object of stale) await object.delete({ ignoreNotFound: true });
  return stale.map((o) => o.name);
}

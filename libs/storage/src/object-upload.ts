import { CRC32C, Storage } from '@google-cloud/storage';
import { stat } from 'node:fs/promises';

export interface UploadedObject {
  name: string;
  bytes: number;
  /** base64 CRC32C of the content, checked by GCS on arrival. */
  crc32c: string;
}

const RESUMABLE_ABOVE = 8 * 1024 * 1024;

/**
 * Uploads a finished local file. The CRC32C computed locally travels with the upload and
 * GCS rejects the object if what arrived differs; the client validates it too. Large
 * files go as resumable uploads, so a dropped connection resumes instead of restarting.
 */
export async function uploadFile(
  storage: Storage,
  bucketName: string,
  localPath: string,
  objectName: string,
  contentType: string,
): Promise<UploadedObject> {
  const [{ size }, crc] = await Promise.all([stat(localPath), CRC32C.fromFile(localPath)]);
  const crc32c = crc.toString();
  await storage.bucket(bucketName).upload(localPath, {
    destination: objectName,
    resumable: size > RESUMABLE_ABOVE,
    validation: 'crc32c',
    metadata: { contentType, crc32c },
  });
  return { name: objectName, bytes: size, crc32c };
}

import { join } from 'node:path';

/** Where a run's attempt is staged: a folder with the Parquet file the extractor writes and the uploader reads. */
export function stagingDir(root: string, runId: string, attempt: number): string {
  return join(root, runId, `attempt-${attempt}`);
}

export function stagedFile(dir: string): string {
  return join(dir, 'staged.parquet');
}

/** The folder of all attempts of a run, removed once the run is done. */
export function runStagingRoot(root: string, runId: string): string {
  return join(root, runId);
}

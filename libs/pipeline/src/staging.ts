import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where a run's attempt is staged by the extraction holding `claim`: a folder with the
 * files the extractor writes and the uploader reads (Parquet, or the lines of an events export's slices). Each claim has its own, so a
 * worker that lost the run cannot write into the staging of the one that holds it.
 */
export function stagingDir(root: string, runId: string, attempt: number, claim: string): string {
  return join(root, runId, `attempt-${attempt}-${claim}`);
}

/** The staged file of slice number `slice`. */
export function stagedSliceFile(dir: string, slice: number): string {
  return join(dir, `staged-${String(slice).padStart(10, '0')}.parquet`);
}

/** The file of slice number `slice` when it is staged as lines (see staged-lines.ts). */
export function stagedLinesFile(dir: string, slice: number): string {
  return join(dir, `staged-${String(slice).padStart(10, '0')}.jsonl`);
}

/** Whether a staged file holds a slice's lines (not Parquet). */
export function isStagedLines(path: string): boolean {
  return path.endsWith('.jsonl');
}

/** The number of the slice a staged file holds (its name's). */
export function stagedSliceNumber(path: string): number {
  const match = /staged-(\d+)\.(?:parquet|jsonl)$/.exec(path);
  if (!match) throw new Error(`internal error: ${path} is not a staged slice's file`);
  return Number(match[1]);
}

/** The staged files of an attempt (Parquet and lines), in slice order. */
export async function stagedFiles(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((name) => /^staged-\d+\.(parquet|jsonl)$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** The folder of all attempts of a run, removed once the run is done. */
export function runStagingRoot(root: string, runId: string): string {
  return join(root, runId);
}

/**
 * Removes the staging of a run's attempts up to `attempt` (and the run's folder once
 * empty). A failed attempt's staging is never read again: the next attempt extracts anew
 * into its own folder, whose higher number this leaves alone.
 */
export async function removeAttemptsUpTo(root: string, runId: string, attempt: number): Promise<void> {
  const dir = runStagingRoot(root, runId);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const name of names) {
    const m = /^attempt-(\d+)-/.exec(name);
    if (m && Number(m[1]) <= attempt) await rm(join(dir, name), { recursive: true, force: true });
  }
  // Only if empty: a newer attempt may have begun.
  await rmdir(dir).catch(() => undefined);
}

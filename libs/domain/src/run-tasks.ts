/**
 * The tasks a run's attempt fans out into, so that any replica can take part of one export:
 *
 * 1. `extract`: one offset range of one partition of the events topic (a partition's range
 *    is cut into equal pieces of at most `maxOffsets`), or, for profiles, the whole topic (the
 *    latest value of a key is settled across partitions);
 * 2. `write`: one file group (event name × day), read from the extract tasks that staged
 *    rows of it;
 * 3. `finish`: the manifest, written once every file is up, and the run marked done.
 *
 * Each phase starts when the last task of the one before is done. These are the rules;
 * the tasks repository applies them in its transactions.
 */

export type TaskKind = 'extract' | 'write' | 'finish';
export type TaskStatus = 'pending' | 'running' | 'done';

/** An offset range [start, end) of a partition, as decimal strings (JSON-safe). */
export interface RangeText {
  partition: number;
  start: string;
  end: string;
}

export interface ExtractSpec {
  ranges: RangeText[];
  /**
   * Partitions whose range ends where the window does: the messages after it are probed for out-of-order timestamps.
   */
  probe: number[];
  /** Offsets whose rejected messages an earlier attempt already dead-lettered. */
  deadLettered: RangeText[];
  /** The task's place in (partition, offset) order: its staged slices are numbered from SLICES_PER_TASK × block. */
  block: number;
}

/** A file group and where its rows are staged. */
export interface WriteSpec {
  eventName: string;
  day: string;
  rows: number;
  /** The extract tasks that staged rows of the group, in block order, with the staging each published. */
  sources: { taskId: string; staging: string }[];
}

export type FinishSpec = Record<string, never>;

export type TaskSpec = ExtractSpec | WriteSpec | FinishSpec;

/** What an extract task staged. */
export interface ExtractResult {
  /** Messages read (the run's rowsExtracted). */
  rows: number;
  rejected: number;
  groups: { eventName: string; day: string; rows: number }[];
  warning: string | null;
  /** Where its staging was published (the staging store's name for it). */
  staging: string;
}

/** What a write task uploaded. */
export interface WriteResult {
  files: TaskFile[];
}

export interface TaskFile {
  objectName: string;
  eventName: string;
  day: string;
  fileIndex: number;
  rows: number;
  bytes: number;
  crc32c: string;
}

/** Staged slices a task may write: its block of slice numbers (the last is for records too long for a line file). */
export const SLICES_PER_TASK = 4096;
/** Slice numbers are 31-bit: the blocks a run can have. */
export const MAX_TASK_BLOCKS = Math.floor((2 ** 31 - 1) / SLICES_PER_TASK);

/**
 * The extract tasks of an attempt reading `ranges`: events in pieces of at most
 * `maxOffsets` per partition, in (partition, offset) order, so that the blocks of their
 * staged slices keep Kafka's order (the empty ranges, only probed, with the first); profiles
 * (`whole`) in one task.
 */
export function extractTasks(
  ranges: readonly { partition: number; start: bigint; end: bigint }[],
  deadLettered: readonly { partition: number; start: bigint; end: bigint }[],
  maxOffsets: number,
  whole: boolean,
): ExtractSpec[] {
  if (!Number.isInteger(maxOffsets) || maxOffsets < 1)
    throw new Error(`maxOffsets must be a positive integer, not ${maxOffsets}`);
  const text = (r: { partition: number; start: bigint; end: bigint }): RangeText => ({
    partition: r.partition,
    start: r.start.toString(),
    end: r.end.toString(),
  });
  const all = [...ranges].sort((a, b) => a.partition - b.partition);
  const sorted = all.filter((r) => r.end > r.start);
  // An empty range reads nothing, but the messages after it are probed all the same: its partition goes with the first
  // task.
  const empty = all.filter((r) => r.end <= r.start);
  const sentIn = (partition: number, start: bigint, end: bigint) =>
    deadLettered
      .filter((d) => d.partition === partition && d.start < end && d.end > start)
      .map((d) => text({ partition, start: d.start > start ? d.start : start, end: d.end < end ? d.end : end }));
  if (whole) {
    if (all.length === 0) return [];
    return [
      {
        ranges: all.map(text),
        probe: all.map((r) => r.partition),
        deadLettered: sorted.flatMap((r) => sentIn(r.partition, r.start, r.end)),
        block: 0,
      },
    ];
  }
  const specs: ExtractSpec[] = [];
  for (const r of sorted) {
    // Equal pieces: 333,333 offsets at 250,000 a task are two of 166,667, not 250,000 and 83,333.
    const pieces = (r.end - r.start + BigInt(maxOffsets) - 1n) / BigInt(maxOffsets);
    const step = (r.end - r.start + pieces - 1n) / pieces;
    for (let start = r.start; start < r.end; start += step) {
      const end = start + step < r.end ? start + step : r.end;
      specs.push({
        ranges: [text({ partition: r.partition, start, end })],
        probe: end === r.end ? [r.partition] : [],
        deadLettered: sentIn(r.partition, start, end),
        block: specs.length,
      });
    }
  }
  if (empty.length > 0) {
    if (specs.length === 0) specs.push({ ranges: [], probe: [], deadLettered: [], block: 0 });
    specs[0].ranges.push(...empty.map(text));
    specs[0].probe.push(...empty.map((r) => r.partition));
  }
  if (specs.length > MAX_TASK_BLOCKS)
    throw new Error(
      `the window needs ${specs.length} extract tasks, more than ${MAX_TASK_BLOCKS}: raise EXTRACT_TASK_MAX_OFFSETS`,
    );
  return specs;
}

/**
 * The write tasks once every extract task is done: one per file group, in (event name,
 * day) order, each naming the extract tasks (in block order) whose staging holds its rows.
 */
export function writeTasks(extracts: readonly { id: string; spec: ExtractSpec; result: ExtractResult }[]): WriteSpec[] {
  const groups = new Map<string, WriteSpec>();
  for (const task of [...extracts].sort((a, b) => a.spec.block - b.spec.block)) {
    for (const g of task.result.groups) {
      const key = JSON.stringify([g.eventName, g.day]);
      let spec = groups.get(key);
      if (!spec) {
        spec = { eventName: g.eventName, day: g.day, rows: 0, sources: [] };
        groups.set(key, spec);
      }
      spec.rows += g.rows;
      spec.sources.push({ taskId: task.id, staging: task.result.staging });
    }
  }
  return [...groups.values()].sort((a, b) => compareText(a.eventName, b.eventName) || compareText(a.day, b.day));
}

/** The tasks a phase's last finished task leads to (the run's next phase), with what the run records then. */
export interface NextPhase {
  kind: TaskKind;
  specs: TaskSpec[];
  /** For the run, once its extraction is over: its totals and its warning (the plan's, then the tasks'). */
  run?: { rowsExtracted: number; rowsRejected: number; warning: string | null };
}

/**
 * What follows the last task of `phase`: after the extraction, a write task per file group
 * (writeTasks), or straight the finish when nothing was staged; after the writing, the
 * finish; after the finish, nothing (the run is done).
 */
export function nextPhase(
  phase: TaskKind,
  planWarning: string | null,
  extracts: readonly { id: string; spec: ExtractSpec; result: ExtractResult }[],
): NextPhase | null {
  if (phase === 'write') return { kind: 'finish', specs: [{}] };
  if (phase !== 'extract') return null;
  const totals = extractTotals(extracts.map((t) => t.result));
  const writes = writeTasks(extracts);
  const warning = [planWarning, ...totals.warnings].filter((w): w is string => !!w).join('; ') || null;
  return {
    kind: writes.length > 0 ? 'write' : 'finish',
    specs: writes.length > 0 ? writes : [{}],
    run: { rowsExtracted: totals.rowsExtracted, rowsRejected: totals.rowsRejected, warning },
  };
}

/**
 * Where each of a phase's new tasks goes among `partitions` partitions of its topic (the
 * partition is this modulo the count; each replica owns a share of them). Extract tasks
 * and the finish go round by their place. Write tasks keep a day's groups together when the
 * run has days enough to fill the partitions: an uploader fetches the staging of the extract
 * tasks that hold a group and keeps it for the run's other groups, and a day's groups read
 * the same extract tasks, so each staged byte is downloaded about once, not once per
 * replica. A run with few days spreads each day's groups over partitions/days partitions.
 */
export function spreadOf(
  tasks: readonly { kind: TaskKind; seq: number; spec: TaskSpec }[],
  partitions: number,
): number[] {
  const days = [...new Set(tasks.filter((t) => t.kind === 'write').map((t) => (t.spec as WriteSpec).day))].sort();
  const perDay = Math.max(1, Math.floor(partitions / Math.max(1, days.length)));
  // A group's place among its day's groups (in the tasks' order): a day's groups go round its partitions evenly.
  const placed = new Map<string, number>();
  return tasks.map((t) => {
    if (t.kind !== 'write') return t.seq;
    const { day } = t.spec as WriteSpec;
    const place = placed.get(day) ?? 0;
    placed.set(day, place + 1);
    return days.indexOf(day) * perDay + (place % perDay);
  });
}

/** What the extract tasks found, summed for the run. */
export function extractTotals(results: readonly ExtractResult[]): {
  rowsExtracted: number;
  rowsRejected: number;
  warnings: string[];
} {
  return {
    rowsExtracted: results.reduce((n, r) => n + r.rows, 0),
    rowsRejected: results.reduce((n, r) => n + r.rejected, 0),
    warnings: results.map((r) => r.warning).filter((w): w is string => !!w),
  };
}

/** The files of the write tasks, in (event name, day, index) order: the run's files and its manifest's. */
export function runFiles(results: readonly WriteResult[]): TaskFile[] {
  return results
    .flatMap((r) => r.files)
    .sort((a, b) => compareText(a.eventName, b.eventName) || compareText(a.day, b.day) || a.fileIndex - b.fileIndex);
}

/**
 * A command arrived for a task (or a run's planning) already held by a worker: the worker
 * died or lost the command (a rebalance), and this one takes it over. Returns the takeovers
 * counted then; past `maxTakeovers` it is not taken again (a command that kills every worker).
 */
export function takeoversOnClaim(held: { status: string; claim: string | null; takeovers: number }): number {
  return held.takeovers + (held.status === 'running' && held.claim !== null ? 1 : 0);
}

/** By UTF-8 bytes, as DuckDB and Postgres's C collation order text. */
export function compareText(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

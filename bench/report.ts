import { round } from './proc';

/** A line of the table and of `rows` in the results JSON. */
export interface Row extends Figures {
  what: string;
  /** Extractor and uploader replicas (export rows). */
  replicas?: number;
  /** With --rounds above 1: each round's figures (an export row's own figures are their medians). */
  rounds?: Figures[];
}

export interface Figures {
  seconds: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  ratioToKcat: number | null;
  peakRssMb?: Record<string, number>;
  /** CPU seconds (user + system, all threads) each process used, and `extractor+uploader` summed. */
  cpuSeconds?: Record<string, number>;
  /** By replica: events read (extractors) and rows written (uploaders) during the export, from their /metrics. */
  work?: Record<string, number>;
  files?: number;
  outputMb?: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Each figure's median over the rounds (each key of a per-process record on its own). */
export function medianFigures(rounds: Figures[]): Figures {
  const of = (pick: (f: Figures) => number | null | undefined) => {
    const values = rounds.map(pick).filter((v): v is number => typeof v === 'number');
    return values.length ? median(values) : undefined;
  };
  const ofRecord = (pick: (f: Figures) => Record<string, number> | undefined) => {
    const keys = [...new Set(rounds.flatMap((r) => Object.keys(pick(r) ?? {})))];
    // A key any round has: its median over the rounds that have it (to 0.01: the mean of two middles adds float noise).
    return keys.length ? Object.fromEntries(keys.map((k) => [k, round(of((r) => pick(r)?.[k]) ?? 0)])) : undefined;
  };
  return {
    seconds: of((r) => r.seconds) ?? 0,
    eventsPerSecond: of((r) => r.eventsPerSecond) ?? 0,
    mbPerSecond: of((r) => r.mbPerSecond) ?? 0,
    ratioToKcat: of((r) => r.ratioToKcat) ?? null,
    peakRssMb: ofRecord((r) => r.peakRssMb),
    cpuSeconds: ofRecord((r) => r.cpuSeconds),
    work: ofRecord((r) => r.work),
    files: of((r) => r.files),
    outputMb: of((r) => r.outputMb),
  };
}

/** `extractor-2` → `extr2`, `request-api` → `api`: the table's short names. */
const short = (key: string) =>
  key
    .replace('request-api', 'api')
    .replace('scheduler', 'sched')
    .replace('extractor', 'extr')
    .replace('uploader', 'upl')
    .replace('-', '');

/**
 * The table: per-process columns list the figures in the order of `rssKeys` (the services),
 * `cpuKeys` and `workKeys` (the replicas); a process a row did not measure shows `-`.
 */
export function formatTable(
  rows: Row[],
  columns: { rssKeys: string[]; cpuKeys: string[]; workKeys: string[] },
): string {
  const list = (keys: string[], record: Record<string, number> | undefined, format: (v: number) => string) =>
    record ? keys.map((k) => (record[k] === undefined ? '-' : format(record[k]))).join(' / ') : '';
  const header = (title: string, keys: string[]) => `${title} (${keys.map(short).join('/')})`;
  const table = [
    [
      'what',
      'seconds',
      'events/s',
      'MB/s',
      '× kcat',
      header('peak RSS MB', columns.rssKeys),
      header('CPU s', columns.cpuKeys),
      header('events read / rows written', columns.workKeys),
    ],
    ...rows.map((r) => [
      r.what,
      r.seconds.toFixed(2),
      Math.round(r.eventsPerSecond).toLocaleString('en-US'),
      r.mbPerSecond.toFixed(1),
      r.ratioToKcat === null ? '' : r.ratioToKcat.toFixed(2),
      list(columns.rssKeys, r.peakRssMb, (v) => String(Math.round(v))),
      list(columns.cpuKeys, r.cpuSeconds, (v) => v.toFixed(1)),
      list(columns.workKeys, r.work, (v) => Math.round(v).toLocaleString('en-US')),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

import { DuckDb, DuckDbQueue } from '@bulk-export/duckdb';
import type { RangeRecord } from '@bulk-export/messaging';
import { RawSink, RawSinkOptions, RawSlice } from './raw-sink';
import { stageEventsSql, writeStagedSql } from './staged-events';
import { stagedSliceFile } from './staging';

/**
 * Stages events as an extract task does, into `dir`: `records` of one partition through a RawSink
 * of small slices (2,000 bytes), ten records a batch, each slice staged by DuckDB as it completes
 * unless the sink settled it (`groups`). Returns the sink's slices.
 */
export async function stageRecords(
  db: DuckDb,
  dir: string,
  records: readonly RangeRecord[],
  options: {
    partition: number;
    timeZone: string;
    eventNames: string[] | null;
    maxEncodedNameBytes: number;
    groups?: RawSinkOptions['groups'];
    block?: RawSinkOptions['block'];
  },
): Promise<readonly RawSlice[]> {
  const stager = new DuckDbQueue<RawSlice>(db, (connection, slice) =>
    connection.run(
      writeStagedSql(
        stageEventsSql(options.timeZone, options.eventNames, slice.select, options.maxEncodedNameBytes, {
          grouped: slice.grouped,
        }),
        slice.number,
        stagedSliceFile(dir, slice.number),
      ),
    ),
  );
  const sink = await RawSink.open(db, dir, {
    sliceBytes: 2000,
    onSlice: (slice) => stager.add(slice),
    groups: options.groups,
    block: options.block,
  });
  for (let start = 0; start < records.length; start += 10)
    await sink.append(options.partition, records.slice(start, start + 10));
  await sink.finish();
  await stager.finish(2);
  return sink.slices;
}

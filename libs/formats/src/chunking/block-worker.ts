import { parentPort } from 'node:worker_threads';
import { CsvTranscoder } from '../csv/csv-transcoder';
import { structureOfBlock } from '../json/json-structure';
import { xmlEventsOfBlock } from '../xml/xml-event';
import type { BlockMessage, LaneBuffers } from './block-pool';
import type { EncodedBlock } from './encoded-blocks';

/** A lane's shared memory, as this thread sees it (block-pool.ts, Lane). */
interface LaneViews {
  bytes: Uint8Array;
  ranges: Int32Array;
  out: SharedArrayBuffer;
  sizes: Int32Array;
}

/** The lanes this thread has been given, by number. */
const lanes = new Map<number, LaneViews>();
/** The transcoders of the CSV columns this thread keeps, by the columns' number (the pool says which to forget). */
const csvTranscoders = new Map<number, CsvTranscoder>();

function register(buffers: LaneBuffers): void {
  lanes.set(buffers.id, {
    bytes: new Uint8Array(buffers.bytes),
    ranges: new Int32Array(buffers.ranges),
    out: buffers.out,
    sizes: new Int32Array(buffers.sizes),
  });
}

function csvTranscoder(csv: NonNullable<BlockMessage['csv']>): CsvTranscoder {
  if (csv.forget !== undefined) csvTranscoders.delete(csv.forget);
  if (csv.paths) csvTranscoders.set(csv.id, new CsvTranscoder(csv.paths));
  const transcoder = csvTranscoders.get(csv.id);
  if (!transcoder) throw new Error(`internal error: CSV columns ${csv.id} were never given`);
  return transcoder;
}

/** A worker thread of BlockPool: XML, CSV or the structure of a block of events. */
parentPort?.on('message', (message: BlockMessage) => {
  try {
    if (message.register) register(message.register);
    // Before anything may fail: the pool counts the columns as given.
    const csv = message.csv ? csvTranscoder(message.csv) : undefined;
    const lane = message.lane === undefined ? undefined : lanes.get(message.lane);
    if (message.lane !== undefined && !lane) throw new Error(`internal error: lane ${message.lane} was never given`);
    const bytes = lane ? lane.bytes.subarray(0, message.byteLength) : (message.bytes as Uint8Array);
    const ranges = lane ? lane.ranges.subarray(0, message.rangeCount) : (message.ranges as Int32Array);
    if (message.task === 'structure') {
      parentPort?.postMessage({ id: message.id, structure: JSON.stringify(structureOfBlock(bytes, ranges)) });
      return;
    }
    const { out, sizes }: EncodedBlock =
      message.task === 'csv' && csv
        ? csv.block(bytes, ranges, lane?.out)
        : xmlEventsOfBlock(bytes, ranges, lane?.out, message.layout, message.records);
    if (lane && out.buffer === lane.out && out.byteOffset === 0) {
      // The records are in the lane: only their length goes back.
      lane.sizes.set(sizes);
      parentPort?.postMessage({ id: message.id, outLength: out.byteLength });
      return;
    }
    // The records outgrew the lane (or the block came copied): their own buffer moves back.
    const own = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    parentPort?.postMessage({ id: message.id, bytes: own, sizes }, [
      own.buffer as ArrayBuffer,
      sizes.buffer as ArrayBuffer,
    ]);
  } catch (e) {
    parentPort?.postMessage({ id: message.id, error: e instanceof Error ? e.message : String(e) });
  }
});

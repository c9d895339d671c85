import { parentPort } from 'node:worker_threads';
import { structureOfBlock } from '../json/json-structure';
import { xmlEventsOfBlock } from '../xml/xml-event';
import type { BlockMessage, LaneBuffers } from './block-pool';

/** A lane's shared memory, as this thread sees it (block-pool.ts, Lane). */
interface LaneViews {
  bytes: Uint8Array;
  ranges: Int32Array;
  xml: SharedArrayBuffer;
  sizes: Int32Array;
}

/** The lanes this thread has been given, by number. */
const lanes = new Map<number, LaneViews>();

function register(buffers: LaneBuffers): void {
  lanes.set(buffers.id, {
    bytes: new Uint8Array(buffers.bytes),
    ranges: new Int32Array(buffers.ranges),
    xml: buffers.xml,
    sizes: new Int32Array(buffers.sizes),
  });
}

/** A worker thread of BlockPool: XML or the structure of a block of events. */
parentPort?.on('message', (message: BlockMessage) => {
  try {
    if (message.register) register(message.register);
    const lane = message.lane === undefined ? undefined : lanes.get(message.lane);
    if (message.lane !== undefined && !lane) throw new Error(`internal error: lane ${message.lane} was never given`);
    const bytes = lane ? lane.bytes.subarray(0, message.byteLength) : (message.bytes as Uint8Array);
    const ranges = lane ? lane.ranges.subarray(0, message.rangeCount) : (message.ranges as Int32Array);
    if (message.task === 'structure') {
      parentPort?.postMessage({ id: message.id, structure: JSON.stringify(structureOfBlock(bytes, ranges)) });
      return;
    }
    const { xml, sizes } = xmlEventsOfBlock(bytes, ranges, lane?.xml, message.layout, message.records);
    if (lane && xml.buffer === lane.xml && xml.byteOffset === 0) {
      // The XML is in the lane: only its length goes back.
      lane.sizes.set(sizes);
      parentPort?.postMessage({ id: message.id, xmlLength: xml.byteLength });
      return;
    }
    // The XML outgrew the lane (or the block came copied): its own buffer moves back.
    const out = new Uint8Array(xml.buffer, xml.byteOffset, xml.byteLength);
    parentPort?.postMessage({ id: message.id, bytes: out, sizes }, [
      out.buffer as ArrayBuffer,
      sizes.buffer as ArrayBuffer,
    ]);
  } catch (e) {
    parentPort?.postMessage({ id: message.id, error: e instanceof Error ? e.message : String(e) });
  }
});

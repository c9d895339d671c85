import { parentPort } from 'node:worker_threads';
import { structureOfBlock } from '../json/json-structure';
import type { XmlLayout } from '@bulk-export/domain';
import { xmlEventsOfBlock, XmlRecords } from '../xml/xml-event';

interface Message {
  id: number;
  task: 'xml' | 'structure';
  bytes: Uint8Array;
  ranges: Int32Array;
  spare?: ArrayBuffer;
  layout?: XmlLayout;
  records?: XmlRecords;
}

/** A worker thread of BlockPool: XML or the structure of a block of events. */
parentPort?.on('message', (message: Message) => {
  try {
    // The block's buffer goes back with the reply, to carry another block.
    const block = message.bytes.buffer as ArrayBuffer;
    if (message.task === 'structure') {
      parentPort?.postMessage(
        { id: message.id, structure: JSON.stringify(structureOfBlock(message.bytes, message.ranges)), block },
        [block],
      );
      return;
    }
    const { xml, sizes } = xmlEventsOfBlock(
      message.bytes,
      message.ranges,
      message.spare,
      message.layout,
      message.records,
    );
    // The XML's ArrayBuffer is its own (not Node's pool), so it moves instead of being copied.
    const bytes = new Uint8Array(xml.buffer, xml.byteOffset, xml.byteLength);
    parentPort?.postMessage({ id: message.id, bytes, sizes, block }, [
      bytes.buffer as ArrayBuffer,
      sizes.buffer as ArrayBuffer,
      block,
    ]);
  } catch (e) {
    parentPort?.postMessage({ id: message.id, error: e instanceof Error ? e.message : String(e) });
  }
});

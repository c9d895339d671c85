import { parentPort } from 'node:worker_threads';
import { xmlEventsOfBlock } from './xml-event';

/** A worker thread of XmlPool: turns blocks of events into XML. */
parentPort?.on('message', (message: { id: number; bytes: Uint8Array; ranges: Int32Array }) => {
  try {
    const { xml, sizes } = xmlEventsOfBlock(message.bytes, message.ranges);
    // The block's own ArrayBuffer when it has one, so it moves instead of being copied.
    const owned = xml.byteOffset === 0 && xml.byteLength === xml.buffer.byteLength;
    const bytes = owned ? new Uint8Array(xml.buffer) : new Uint8Array(xml);
    parentPort?.postMessage({ id: message.id, bytes, sizes }, [bytes.buffer as ArrayBuffer, sizes.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({ id: message.id, error: e instanceof Error ? e.message : String(e) });
  }
});

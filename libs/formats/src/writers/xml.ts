import { DuckDb } from '@bulk-export/duckdb';
import { BlockPool, XmlOptions } from '../chunking/block-pool';
import { ChunkTarget, ChunkWriter } from '../chunking/chunk-writer';
import { spooledBlocks } from '../chunking/line-files';
import { XmlBlock, XML_FOOTER, XML_HEADER } from '../xml/xml-event';
import { FileGroup, groupRowsSql } from './group';

/** Blocks converted ahead of the one being written, per group. */
const BLOCKS_AHEAD = 2;

/**
 * Writes a file group as XML (see xml-event.ts for the format). The group's events come
 * from a spool file in blocks of about 1 MiB, which BlockPool's worker threads convert
 * while earlier blocks are written, in order, one event at a time, so files are cut at
 * the same events as ever.
 */
export async function writeXmlGroup(
  db: DuckDb,
  group: FileGroup,
  target: ChunkTarget,
  options: XmlOptions,
): Promise<void> {
  const pool = BlockPool.get();
  const writer = new ChunkWriter({ ...target, header: XML_HEADER, footer: XML_FOOTER });
  const converting: Promise<XmlBlock>[] = [];
  // Buffers of blocks already written, to be written into again: a fresh 4–5 MiB buffer per
  // block made the main thread collect garbage for a third of its time.
  const spares: ArrayBuffer[] = [];
  const writeNext = async () => {
    const { xml, sizes } = await (converting.shift() as Promise<XmlBlock>);
    // The elements lie end to end in `xml`.
    const ranges = new Int32Array(2 * sizes.length);
    for (let i = 0, at = 0; i < sizes.length; i++) {
      ranges[2 * i] = at;
      at += sizes[i];
      ranges[2 * i + 1] = at;
    }
    await writer.writeRanges(xml, ranges);
    await writer.settle();
    if (xml.byteOffset === 0) spares.push(xml.buffer as ArrayBuffer);
  };
  try {
    for await (const { bytes, ranges } of spooledBlocks(
      db,
      groupRowsSql('event AS line', group),
      `${target.pathOf(0)}.spool`,
    )) {
      converting.push(pool.xml(bytes, ranges, options, spares.pop()));
      if (converting.length > BLOCKS_AHEAD) await writeNext();
    }
    while (converting.length > 0) await writeNext();
  } finally {
    // A failure leaves no conversion's rejection unhandled.
    for (const block of converting) block.catch(() => undefined);
  }
  await writer.end();
}

import { DuckDb } from '@bulk-export/duckdb';
import { BlockPool, XmlOptions } from '../chunking/block-pool';
import { ChunkTarget, ChunkWriter } from '../chunking/chunk-writer';
import { SpooledBlock, spooledBlocks } from '../chunking/line-files';
import { XmlBlock, XML_FOOTER, XML_HEADER } from '../xml/xml-event';
import { FileGroup, groupRowsSql } from './group';

/** Blocks converted ahead of the one being written, per group. */
const BLOCKS_AHEAD = 2;

/**
 * Writes a file group as XML (see xml-event.ts for the format). The group's events come
 * in blocks of about 1 MiB (from a spool file, or from slices staged as lines), which BlockPool's worker threads convert
 * while earlier blocks are written, in order, one event at a time, so files are cut at
 * the same events as ever.
 */
export async function writeXmlGroup(
  db: DuckDb,
  group: FileGroup,
  target: ChunkTarget,
  options: XmlOptions,
): Promise<void> {
  await writeXmlBlocks(eventBlocks(db, group, `${target.pathOf(0)}.spool`), target, options);
}

/** The events of a group of the view `staged` (their messages' JSON), a block at a time, through the spool file `spool`. */
export function eventBlocks(
  db: DuckDb,
  group: { eventName: string; day: string },
  spool: string,
): AsyncGenerator<SpooledBlock> {
  return spooledBlocks(db, groupRowsSql('event AS line', group), spool);
}

/** Writes a group's events (their JSON, a block at a time) as XML files. */
export async function writeXmlBlocks(
  blocks: AsyncIterable<SpooledBlock>,
  target: ChunkTarget,
  options: XmlOptions,
): Promise<void> {
  const pool = BlockPool.get();
  const writer = new ChunkWriter({ ...target, header: XML_HEADER, footer: XML_FOOTER });
  const converting: Promise<XmlBlock>[] = [];
  const writeNext = async () => {
    const block = await (converting.shift() as Promise<XmlBlock>);
    try {
      const { xml, sizes } = block;
      // The elements lie end to end in `xml`.
      const ranges = new Int32Array(2 * sizes.length);
      for (let i = 0, at = 0; i < sizes.length; i++) {
        ranges[2 * i] = at;
        at += sizes[i];
        ranges[2 * i + 1] = at;
      }
      await writer.writeRanges(xml, ranges);
      await writer.settle();
    } finally {
      block.release?.();
    }
  };
  try {
    for await (const { bytes, ranges } of blocks) {
      converting.push(pool.xml(bytes, ranges, options));
      if (converting.length > BLOCKS_AHEAD) await writeNext();
    }
    while (converting.length > 0) await writeNext();
  } finally {
    // A failure leaves no conversion's rejection unhandled, and no block's memory held.
    for (const block of converting)
      block.then(
        (b) => b.release?.(),
        () => undefined,
      );
  }
  await writer.end();
}

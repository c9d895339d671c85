import { DuckDb } from '@bulk-export/duckdb';
import { BlockPool, XmlOptions } from '../chunking/block-pool';
import { ChunkTarget } from '../chunking/chunk-writer';
import { writeEncodedBlocks } from '../chunking/encoded-blocks';
import { SpooledBlock, spooledBlocks } from '../chunking/line-files';
import { XML_FOOTER, XML_HEADER } from '../xml/xml-event';
import { FileGroup, groupRowsSql } from './group';

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
  await writeEncodedBlocks(blocks, target, (bytes, ranges) => pool.xml(bytes, ranges, options), XML_HEADER, XML_FOOTER);
}

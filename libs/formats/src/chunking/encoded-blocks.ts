import { ChunkTarget, ChunkWriter } from './chunk-writer';
import { SpooledBlock } from './line-files';

/** The records of a block of events in an output format (XML elements, CSV lines), end to end, and each one's size. */
export interface EncodedBlock {
  out: Buffer;
  sizes: Int32Array;
  /** Hands `out` and `sizes` back to the memory they lie in, once written (BlockPool's lanes); absent when they are the block's own. */
  release?: () => void;
}

/** Blocks encoded ahead of the one being written, per group. */
const BLOCKS_AHEAD = 2;

/**
 * Writes a group's events, a block at a time, as records that `encode` makes (on BlockPool's worker threads, while
 * earlier blocks are written): in order, one record at a time, into files of at most the target's size with `header`
 * and `footer`, so files are cut at the same records whoever encodes them.
 */
export async function writeEncodedBlocks(
  blocks: AsyncIterable<SpooledBlock>,
  target: ChunkTarget,
  encode: (bytes: Buffer, ranges: Int32Array) => Promise<EncodedBlock>,
  header: Buffer,
  footer?: Buffer,
): Promise<void> {
  const writer = new ChunkWriter({ ...target, header, footer });
  const encoding: Promise<EncodedBlock>[] = [];
  const writeNext = async () => {
    const block = await (encoding.shift() as Promise<EncodedBlock>);
    try {
      const { out, sizes } = block;
      // The records lie end to end in `out`.
      const ranges = new Int32Array(2 * sizes.length);
      for (let i = 0, at = 0; i < sizes.length; i++) {
        ranges[2 * i] = at;
        at += sizes[i];
        ranges[2 * i + 1] = at;
      }
      await writer.writeRanges(out, ranges);
      await writer.settle();
    } finally {
      block.release?.();
    }
  };
  try {
    for await (const { bytes, ranges } of blocks) {
      encoding.push(encode(bytes, ranges));
      if (encoding.length > BLOCKS_AHEAD) await writeNext();
    }
    while (encoding.length > 0) await writeNext();
  } finally {
    // A failure leaves no encoding's rejection unhandled, and no block's memory held.
    for (const block of encoding)
      block.then(
        (b) => b.release?.(),
        () => undefined,
      );
  }
  await writer.end();
}

import { join, resolve } from 'node:path';
import type * as BlockPoolModule from '../libs/formats/src/chunking/block-pool';
import { CsvTranscoder, EncodedBlock, structureOfBlock, xmlEventsOfBlock } from '@bulk-export/formats';
import { blockOf } from '../libs/formats/src/json/json-block.spec-helper';

/**
 * BlockPool with its worker threads, as the services run it: the built module (from the
 * TypeScript sources the pool has no worker script and works on the calling thread). Blocks
 * travel through lanes of shared memory; a block too large for a lane goes copied, and XML
 * that outgrows its lane comes back in a buffer of its own. Every path must give what the
 * calling thread computes itself.
 */
const BUILT = join(resolve(__dirname, '..'), 'dist/libs/formats/src/chunking/block-pool.js');

function event(i: number, props: Record<string, unknown>): string {
  return JSON.stringify({ eventName: 'E', ts: 20261201000000 + i, profile: { identity: `u${i}` }, eventProps: props });
}

/** Blocks of every kind: usual events, one too large for a lane, and one whose XML outgrows its lane. */
function blocks(): { name: string; texts: string[] }[] {
  const usual = (offset: number) =>
    Array.from({ length: 1500 }, (_, i) =>
      event(offset + i, {
        n: i,
        price: i / 7,
        ok: i % 2 === 0,
        s: `ü "${i}" <&>`,
        list: [i, 'x'],
        deep: { a: { b: i } },
      }),
    );
  return [
    { name: 'usual 1', texts: usual(0) },
    { name: 'usual 2', texts: usual(2000) },
    // Larger than a lane's 1 MiB of bytes: copied to the worker.
    { name: 'one event of 1.5 MiB', texts: [event(1, { long: 'y'.repeat(1_500_000) })] },
    // "0," is 2 bytes of JSON and some 30 of XML: about 15 MiB of XML, more than a lane's 8 MiB.
    {
      name: 'XML larger than a lane',
      texts: Array.from({ length: 8 }, (_, i) => event(i, { zeros: new Array(60_000).fill(0) })),
    },
    { name: 'usual 3', texts: usual(4000) },
  ];
}

describe('BlockPool with worker threads', () => {
  let pool: BlockPoolModule.BlockPool;

  beforeAll(async () => {
    pool = ((await import(BUILT)) as typeof BlockPoolModule).BlockPool.get();
  });

  it('converts blocks to XML as the calling thread does, many in flight, each kept until released', async () => {
    const all = [...blocks(), ...blocks()];
    const expected = all.map(({ texts }) => {
      const { bytes, ranges } = blockOf(texts);
      const { out: xml, sizes } = xmlEventsOfBlock(bytes, ranges, undefined, 'typed');
      return { xml: Buffer.from(xml), sizes: Int32Array.from(sizes) };
    });
    // All at once: every block holds its own lane (or buffer) until released.
    const converted: EncodedBlock[] = await Promise.all(
      all.map(({ texts }) => {
        const { bytes, ranges } = blockOf(texts);
        const done = pool.xml(bytes, ranges, { layout: 'typed', records: 'events' });
        // The caller's buffers are its own again as soon as the call returns.
        bytes.fill(0);
        ranges.fill(0);
        return done;
      }),
    );
    // Through a lane (released by the caller) unless the block or its XML is larger than one.
    expect(converted.map((block, i) => [all[i].name, block.release !== undefined])).toEqual(
      all.map(({ name }) => [name, name.startsWith('usual')]),
    );
    converted.forEach((block, i) => {
      expect({ name: all[i].name, xml: block.out.equals(expected[i].xml) }).toEqual({ name: all[i].name, xml: true });
      expect(Array.from(block.sizes)).toEqual(Array.from(expected[i].sizes));
    });
    // Released in another order, then more blocks at once than lanes are free: every free lane carries one (and new
    // lanes the rest), the blocks still held stay as they were, and the new blocks are right in the reused lanes.
    const held = converted.slice(0, 2);
    for (const block of converted.slice(2).reverse()) block.release?.();
    const others = Array.from({ length: 24 }, (_, i) => all[i % 2].texts.map((t) => t.replace('"E"', '"F"')));
    const again = await Promise.all(
      others.map((texts) => {
        const { bytes, ranges } = blockOf(texts);
        return pool.xml(bytes, ranges, { layout: 'documented', records: 'events' });
      }),
    );
    held.forEach((block, i) => expect(block.out.equals(expected[i].xml)).toBe(true));
    again.forEach((block, i) => {
      const { bytes, ranges } = blockOf(others[i]);
      expect(block.out.equals(xmlEventsOfBlock(bytes, ranges, undefined, 'documented').out)).toBe(true);
    });
    for (const block of [...held, ...again]) block.release?.();
  });

  it('finds the structure of blocks as the calling thread does', async () => {
    for (const { name, texts } of blocks()) {
      const { bytes, ranges } = blockOf(texts);
      expect({ name, structure: await pool.structure(bytes, ranges) }).toEqual({
        name,
        structure: structureOfBlock(bytes, ranges),
      });
    }
  });

  it('writes CSV lines of blocks as the calling thread does, for many groups at once, through lanes', async () => {
    // More column sets than a worker keeps transcoders for (8): workers forget the oldest and are given them again.
    const columns = Array.from({ length: 12 }, (_, g) => [
      ['ts'],
      ['eventName'],
      ['eventProps', 'deep', 'a', 'b'],
      ['eventProps', g % 2 === 0 ? 'list' : 'n'],
      ['eventProps', 's'],
      ['profile', 'identity'],
    ]);
    const all = blocks();
    // A lines of 1,500 zeros is 3 KB of CSV: the block's 60 KB of lines fit in a lane.
    for (let round = 0; round < 2; round++) {
      const converted = await Promise.all(
        columns.flatMap((paths) =>
          all.map(({ texts }) => {
            const { bytes, ranges } = blockOf(texts);
            const done = pool.csv(bytes, ranges, paths);
            bytes.fill(0);
            return done;
          }),
        ),
      );
      converted.forEach((block, i) => {
        const paths = columns[Math.floor(i / all.length)];
        const { name, texts } = all[i % all.length];
        const { bytes, ranges } = blockOf(texts);
        const expected = new CsvTranscoder(paths).block(bytes, ranges);
        expect({ name, same: block.out.equals(expected.out) }).toEqual({ name, same: true });
        expect(Array.from(block.sizes)).toEqual(Array.from(expected.sizes));
        // Through a lane unless the block is too large for one.
        expect({ name, lane: block.release !== undefined }).toEqual({ name, lane: !name.startsWith('one event') });
      });
      for (const block of converted) block.release?.();
    }
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { slowXmlEvent, xmlEventsOfBlock } from '@bulk-export/formats';
import { writeEventFile } from './events';

/**
 * Micro-benchmark of the XML conversion of one block of events (xmlEventsOfBlock, the work a
 * worker thread of BlockPool does per ~1 MiB block), on the calling thread, no I/O.
 *
 *   npm run build && node dist/bench/xml-block.js [--events 20000] [--rounds 9] [--baseline <xml-event.js>]
 *
 * Both XML layouts are timed: `documented` (the default) and `typed`.
 *
 * Cases: the benchmark's events as generated; the same events with a 19-digit integer (a
 * number JSON.parse would change) in a given share of them; and with a key given twice in
 * every event (XmlTranscoder declines those: the slow path, JSON.parse and xmlEvent(), writes
 * them). `slow path for every event` times that path alone on the same blocks. Prints the
 * median milliseconds per 1 MiB block and per 1,000 events.
 * `--baseline`: a compiled xml-event.js of another commit, timed in alternate rounds with
 * this one, so both see the same machine (a shared machine's speed drifts by tens of %).
 */
const BLOCK_BYTES = 1 << 20;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

interface Block {
  bytes: Buffer;
  ranges: Int32Array;
}

/** Lines cut into blocks of about 1 MiB, as spooledBlocks hands them over. */
function blocksOf(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let batch: string[] = [];
  let size = 0;
  const flush = () => {
    const bytes = Buffer.from(batch.join('\n'));
    const ranges = new Int32Array(batch.length * 2);
    let at = 0;
    batch.forEach((line, i) => {
      const n = Buffer.byteLength(line);
      ranges[2 * i] = at;
      ranges[2 * i + 1] = at + n;
      at += n + 1;
    });
    blocks.push({ bytes, ranges });
    batch = [];
    size = 0;
  };
  for (const line of lines) {
    batch.push(line);
    size += Buffer.byteLength(line) + 1;
    if (size >= BLOCK_BYTES) flush();
  }
  if (batch.length) flush();
  return blocks;
}

type Convert = (bytes: Uint8Array, ranges: Int32Array) => unknown;

function measure(name: string, lines: string[], rounds: number, converters: [string, Convert][]): void {
  const full = blocksOf(lines).filter((b) => b.bytes.length >= BLOCK_BYTES);
  const events = full.reduce((n, b) => n + b.ranges.length / 2, 0);
  const times = converters.map(() => [] as number[]);
  for (const [, convert] of converters) for (const b of full) convert(b.bytes, b.ranges); // warm-up
  for (let r = 0; r < rounds; r++) {
    const sums = converters.map(() => 0);
    full.forEach((b, i) => {
      // Block by block, in alternating order: both converters see the same moments of the machine.
      for (let k = 0; k < converters.length; k++) {
        const c = (i + r) % 2 === 0 ? k : converters.length - 1 - k;
        const start = process.hrtime.bigint();
        converters[c][1](b.bytes, b.ranges);
        sums[c] += Number(process.hrtime.bigint() - start) / 1e6;
      }
    });
    sums.forEach((sum, c) => times[c].push(sum / full.length));
  }
  console.log(`${name} (${full.length} blocks of ~${(events / full.length).toFixed(0)} events, ${rounds} rounds)`);
  converters.forEach(([label], c) => {
    const t = times[c].sort((a, b) => a - b);
    const median = t[Math.floor(t.length / 2)];
    console.log(
      `  ${label.padEnd(30)} median ${median.toFixed(2).padStart(6)} ms/block (${((median * full.length * 1000) / events).toFixed(2)} ms/1k events)` +
        `  min ${t[0].toFixed(2)}  max ${t[t.length - 1].toFixed(2)}`,
    );
  });
}

async function main(): Promise<void> {
  const count = Number(arg('events', '20000'));
  const rounds = Number(arg('rounds', '9'));
  const baseline = arg('baseline', '');
  const converters: [string, Convert][] = [
    ['xmlEventsOfBlock (documented)', (bytes, ranges) => xmlEventsOfBlock(bytes, ranges, undefined, 'documented')],
    ['xmlEventsOfBlock (typed)', (bytes, ranges) => xmlEventsOfBlock(bytes, ranges, undefined, 'typed')],
    [
      '  slow path for every event (documented)',
      (bytes, ranges) => {
        let n = 0;
        for (let i = 0; i < ranges.length; i += 2) n += slowXmlEvent(bytes, ranges[i], ranges[i + 1]).length;
        return n;
      },
    ],
  ];
  // The baseline may be older than the layouts: it writes what it writes (the typed layout, before them).
  if (baseline)
    converters.unshift([
      'xmlEventsOfBlock of baseline',
      ((await import(resolve(baseline))) as { xmlEventsOfBlock: Convert }).xmlEventsOfBlock,
    ]);
  const work = mkdtempSync(join(tmpdir(), 'xml-block-'));
  try {
    const file = join(work, 'events.jsonl');
    await writeEventFile(file, { count, days: 2, eventNames: 8, seed: 42, lastDay: '20261128' });
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    const withBig = (share: number) =>
      lines.map((l, i) =>
        i % Math.round(1 / share) === 0
          ? l.replace('"eventProps":{', `"eventProps":{"big":${9007199254740993n + BigInt(i)},`)
          : l,
      );
    measure('bench events (no number at risk)', lines, rounds, converters);
    measure('1% of events with a 19-digit integer', withBig(0.01), rounds, converters);
    measure('every event with a 19-digit integer', withBig(1), rounds, converters);
    measure(
      'every event with a key given twice',
      lines.map((l) => l.replace('"eventProps":{', '"eventProps":{"twice":1,"twice":2,')),
      rounds,
      converters,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main();

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BoundedTasks } from '@bulk-export/domain';
import { JsonStructure, mergeStructures, structureOfBlock } from '../json/json-structure';
import type { XmlLayout } from '@bulk-export/domain';
import { xmlEventsOfBlock, XmlRecords } from '../xml/xml-event';
import { CsvTranscoder } from '../csv/csv-transcoder';
import { EncodedBlock } from './encoded-blocks';
import { SPOOL_BLOCK_BYTES } from './line-files';

type Task = 'xml' | 'csv' | 'structure';
/** How the XML of a block is written (xmlEventsOfBlock). */
export interface XmlOptions {
  layout: XmlLayout;
  records: XmlRecords;
}

/** Bytes of events a lane carries: a spool block. A longer block (a long line) goes to the worker copied. */
const LANE_BYTES = SPOOL_BLOCK_BYTES;
/** Events a lane carries (a block of 1 MiB holds about 2,000 events of the usual size). */
const LANE_EVENTS = 32 * 1024;
/**
 * Records a lane carries back: XML is about five times the block, usually (xmlEventsOfBlock), CSV less than the block.
 * A block whose records outgrow it come back in a buffer of their own, moved. Pages of it that are never written take
 * no memory.
 */
const LANE_OUT_BYTES = 8 * LANE_BYTES;
/** CSV columns a worker thread keeps transcoders for (a few groups are written at once). */
const KEPT_CSV_COLUMNS = 8;

/** The shared buffers of a lane, as a worker receives them the first time it is given the lane. */
export interface LaneBuffers {
  id: number;
  bytes: SharedArrayBuffer;
  ranges: SharedArrayBuffer;
  out: SharedArrayBuffer;
  sizes: SharedArrayBuffer;
}

/**
 * Memory shared with the worker threads that carries one block to a worker and its records back: the block's bytes and
 * line ranges, the records (XML, CSV) and each one's size. Only the lane's number travels with each block. Moving (or
 * copying) a fresh buffer per block and per reply gave the receiving thread gigabytes of new external memory per
 * million events, which V8 counts towards its next full collection: the uploader's main thread collected its 50 MB
 * heap some 60 times in an XML export of 1M events (about 6 CPU-s of marking, mostly on V8's helper threads).
 */
class Lane {
  readonly bytes: Uint8Array;
  readonly ranges: Int32Array;
  readonly out: Buffer;
  readonly sizes: Int32Array;

  constructor(readonly buffers: LaneBuffers) {
    this.bytes = new Uint8Array(buffers.bytes);
    this.ranges = new Int32Array(buffers.ranges);
    this.out = Buffer.from(buffers.out);
    this.sizes = new Int32Array(buffers.sizes);
  }

  static create(id: number): Lane {
    return new Lane({
      id,
      bytes: new SharedArrayBuffer(LANE_BYTES),
      ranges: new SharedArrayBuffer(2 * LANE_EVENTS * Int32Array.BYTES_PER_ELEMENT),
      out: new SharedArrayBuffer(LANE_OUT_BYTES),
      sizes: new SharedArrayBuffer(LANE_EVENTS * Int32Array.BYTES_PER_ELEMENT),
    });
  }

  /** Whether a block fits in a lane. */
  static fits(bytes: Uint8Array, ranges: Int32Array): boolean {
    return bytes.length <= LANE_BYTES && ranges.length <= 2 * LANE_EVENTS;
  }

  /** Copies in a block that fits. */
  load(bytes: Uint8Array, ranges: Int32Array): void {
    this.bytes.set(bytes);
    this.ranges.set(ranges);
  }
}

/** A block for a worker: through a lane (`lane`, `byteLength`, `rangeCount`), or copied (`bytes`, `ranges`). */
export interface BlockMessage {
  id: number;
  task: Task;
  lane?: number;
  /** The lane's buffers, the first time this worker is given the lane. */
  register?: LaneBuffers;
  byteLength?: number;
  rangeCount?: number;
  bytes?: Uint8Array;
  ranges?: Int32Array;
  layout?: XmlLayout;
  records?: XmlRecords;
  /** The CSV columns' number, their paths the first time this worker is given them, and columns it may forget. */
  csv?: { id: number; paths?: string[][]; forget?: number };
}

/** A worker's answer: a structure, or records (`outLength` bytes in the lane, or `bytes` and `sizes` of their own). */
export interface BlockReply {
  id: number;
  structure?: string;
  outLength?: number;
  bytes?: Uint8Array;
  sizes?: Int32Array;
  error?: string;
}

interface Pending {
  resolve(reply: BlockReply): void;
  reject(error: Error): void;
}

/** One worker thread, the blocks it has been given and the lanes it knows. */
class BlockWorker {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;
  private readonly lanes = new Set<number>();
  /** The CSV columns this worker keeps, oldest first (it forgets them when told, in this order). */
  private readonly csvColumns: number[] = [];
  failed = false;

  constructor(script: string) {
    this.worker = new Worker(script);
    this.worker.unref();
    this.worker.on('message', (reply: BlockReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (!waiting) return;
      if (reply.error !== undefined) waiting.reject(new Error(`worker thread: ${reply.error}`));
      else waiting.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failed = true;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`worker thread exited with code ${code}`)));
  }

  /** Sends a block: through `lane`, already loaded, or else `bytes` and `ranges`, copied. */
  send(message: BlockMessage, lane: Lane | null): Promise<BlockReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      // Referenced while it has work, so a caller awaiting it keeps the process alive.
      this.worker.ref();
      if (lane && !this.lanes.has(lane.buffers.id)) {
        this.lanes.add(lane.buffers.id);
        message.register = lane.buffers;
      }
      if (message.csv && message.csv.paths && this.csvColumns.includes(message.csv.id))
        message.csv = { id: message.csv.id };
      else if (message.csv?.paths) {
        this.csvColumns.push(message.csv.id);
        if (this.csvColumns.length > KEPT_CSV_COLUMNS) message.csv.forget = this.csvColumns.shift();
      }
      this.worker.postMessage(message);
    });
  }
}

/**
 * Worker threads (by default one per core, at most two) for the JavaScript work on every event of a group:
 * the XML and CSV transcoders (xmlEventsOfBlock, CsvTranscoder), the structure scanner (structureOfBlock: the CSV
 * columns and the Parquet types). On the main thread alone that work was the bottleneck
 * of those formats. Blocks of events (about 1 MiB, from a spool file) go to the worker
 * with the fewest blocks in hand, through lanes of shared memory (Lane); a worker that dies fails its blocks and is
 * replaced. Without the compiled worker script (TypeScript run directly, as in unit tests), blocks
 * are handled on the calling thread.
 */
export class BlockPool {
  private static shared: BlockPool | null = null;
  /** Worker threads: at most the cores the process may use (a container's node may have many more). */
  private static threads = Math.max(1, Math.min(availableParallelism(), 2));
  private readonly workers: BlockWorker[] = [];
  private next = 0;
  /**
   * Lanes not in use. A lane is made when every lane is in use, and kept: there are as many as blocks were ever in
   * flight or being written at once (a few per group written at once).
   */
  private readonly lanes: Lane[] = [];
  private laneCount = 0;
  /** Numbers of the CSV columns given to csv(), by their paths' array. */
  private readonly csvIds = new WeakMap<string[][], number>();
  private nextCsvId = 0;
  /** Without worker threads: the transcoder of the last columns. */
  private localCsv: { id: number; transcoder: CsvTranscoder } | null = null;

  private constructor(private readonly script: string | null) {}

  static get(): BlockPool {
    if (!BlockPool.shared) {
      const script = join(__dirname, 'block-worker.js');
      BlockPool.shared = new BlockPool(existsSync(script) ? script : null);
    }
    return BlockPool.shared;
  }

  /** Sets how many worker threads the pool keeps (the uploader: DUCKDB_THREADS). */
  static setThreads(threads: number): void {
    BlockPool.threads = Math.max(1, Math.floor(threads));
  }

  /**
   * The XML of a block of events (see xmlEventsOfBlock). The block is copied for the worker. The XML may lie in
   * memory of the pool's: the caller calls `release()` once it has written it, and not before.
   */
  xml(bytes: Uint8Array, ranges: Int32Array, options: XmlOptions): Promise<EncodedBlock> {
    if (!this.script)
      return Promise.resolve(xmlEventsOfBlock(bytes, ranges, undefined, options.layout, options.records));
    return this.encode({ id: this.next++, task: 'xml', ...options }, bytes, ranges);
  }

  /**
   * The CSV lines of a block of events, with the columns `paths` (see CsvTranscoder; the same array for every block of
   * a group, whose transcoder the worker threads keep). Like xml(), the caller calls `release()` once it has written
   * the lines.
   */
  csv(bytes: Uint8Array, ranges: Int32Array, paths: string[][]): Promise<EncodedBlock> {
    let id = this.csvIds.get(paths);
    if (id === undefined) {
      id = this.nextCsvId++;
      this.csvIds.set(paths, id);
    }
    if (!this.script) {
      if (this.localCsv?.id !== id) this.localCsv = { id, transcoder: new CsvTranscoder(paths) };
      return Promise.resolve(this.localCsv.transcoder.block(bytes, ranges));
    }
    return this.encode({ id: this.next++, task: 'csv', csv: { id, paths } }, bytes, ranges);
  }

  /** Records of a block by a worker thread: in a lane when the block fits one and they fit its `out`. */
  private async encode(message: BlockMessage, bytes: Uint8Array, ranges: Int32Array): Promise<EncodedBlock> {
    const lane = this.laneFor(bytes, ranges);
    const count = ranges.length / 2;
    try {
      const reply = await this.send(message, bytes, ranges, lane);
      if (lane && reply.outLength !== undefined) {
        const held = lane;
        let released = false;
        return {
          out: lane.out.subarray(0, reply.outLength),
          sizes: lane.sizes.subarray(0, count),
          // Once only: a lane given back twice would carry two blocks at once.
          release: () => {
            if (!released) this.release(held);
            released = true;
          },
        };
      }
      if (!reply.bytes || !reply.sizes) throw new Error(`worker thread: no ${message.task} records in its reply`);
      if (lane) this.release(lane);
      return {
        out: Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength),
        sizes: reply.sizes,
      };
    } catch (e) {
      // The worker answered (with an error) or is gone: either way it no longer touches the lane.
      if (lane) this.release(lane);
      throw e;
    }
  }

  /** The structure of a block of events (see structureOfBlock). */
  async structure(bytes: Uint8Array, ranges: Int32Array): Promise<JsonStructure> {
    if (!this.script) return structureOfBlock(bytes, ranges);
    const lane = this.laneFor(bytes, ranges);
    try {
      const reply = await this.send({ id: this.next++, task: 'structure' }, bytes, ranges, lane);
      if (reply.structure === undefined) throw new Error('worker thread: no structure in its reply');
      return JSON.parse(reply.structure) as JsonStructure;
    } finally {
      if (lane) this.release(lane);
    }
  }

  /** A lane holding the block, or null when the block is too large for one (it goes copied). */
  private laneFor(bytes: Uint8Array, ranges: Int32Array): Lane | null {
    if (!Lane.fits(bytes, ranges)) return null;
    const lane = this.lanes.pop() ?? Lane.create(this.laneCount++);
    lane.load(bytes, ranges);
    return lane;
  }

  private release(lane: Lane): void {
    this.lanes.push(lane);
  }

  private send(message: BlockMessage, bytes: Uint8Array, ranges: Int32Array, lane: Lane | null): Promise<BlockReply> {
    const script = this.script as string;
    for (let i = this.workers.length - 1; i >= 0; i--) if (this.workers[i].failed) this.workers.splice(i, 1);
    while (this.workers.length < BlockPool.threads) this.workers.push(new BlockWorker(script));
    const worker = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    if (lane)
      return worker.send(
        { ...message, lane: lane.buffers.id, byteLength: bytes.length, rangeCount: ranges.length },
        lane,
      );
    // Copies of the views alone (a view's whole buffer would be copied with it; a Buffer's slice() is a view).
    return worker.send({ ...message, bytes: new Uint8Array(bytes), ranges: new Int32Array(ranges) }, null);
  }
}

/**
 * The union of the structures of blocks of events, worked out by the pool's threads while
 * the caller reads the next blocks (at most `ahead` at once), merged as they arrive.
 */
export class StructureOfBlocks {
  private structure: JsonStructure = 'NULL';
  private readonly work: BoundedTasks;

  constructor(
    private readonly pool: BlockPool,
    ahead = 4,
  ) {
    this.work = new BoundedTasks(ahead);
  }

  add(bytes: Uint8Array, ranges: Int32Array): Promise<void> {
    return this.work.add(async () => {
      // Merged into the structure as it is when this block's answer comes: blocks answer in any order.
      const block = await this.pool.structure(bytes, ranges);
      this.structure = mergeStructures(this.structure, block);
    });
  }

  async result(): Promise<JsonStructure> {
    await this.work.drain();
    return this.structure;
  }
}

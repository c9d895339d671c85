import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BoundedTasks } from '@bulk-export/domain';
import { JsonStructure, mergeStructures, structureOfBlock } from '../json/json-structure';
import type { XmlLayout } from '@bulk-export/domain';
import { XmlBlock, xmlEventsOfBlock, XmlRecords } from '../xml/xml-event';
import { SPOOL_BLOCK_BYTES } from './line-files';

type Task = 'xml' | 'structure';
/** How the XML of a block is written (xmlEventsOfBlock). */
export interface XmlOptions {
  layout: XmlLayout;
  records: XmlRecords;
}
interface Reply {
  id: number;
  bytes?: Uint8Array;
  sizes?: Int32Array;
  structure?: string;
  /** The block's buffer, moved back to be filled again. */
  block?: ArrayBuffer;
  error?: string;
}
interface Pending {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

/** One worker thread and the blocks it has been given. */
class BlockWorker {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;
  failed = false;

  constructor(script: string) {
    this.worker = new Worker(script);
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
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

  /** `bytes` (a view of a buffer of the pool's) and `spare` move to the worker, which moves them back. */
  send(
    id: number,
    task: Task,
    bytes: Uint8Array,
    ranges: Int32Array,
    spare?: ArrayBuffer,
    xml?: XmlOptions,
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Referenced while it has work, so a caller awaiting it keeps the process alive.
      this.worker.ref();
      const moved = [bytes.buffer as ArrayBuffer, ...(spare ? [spare] : [])];
      this.worker.postMessage({ id, task, bytes, ranges, spare, ...xml }, moved);
    });
  }
}

/**
 * Worker threads (by default one per core, at most two) for the JavaScript work on every event of a group:
 * the XML transcoder (xmlEventsOfBlock), the structure scanner (structureOfBlock: the CSV
 * columns and the Parquet types). On the main thread alone that work was the bottleneck
 * of those formats. Blocks of events (about 1 MiB, from a spool file) go to the worker
 * with the fewest blocks in hand; a worker that dies fails its blocks and is replaced.
 * Without the compiled worker script (TypeScript run directly, as in unit tests), blocks
 * are handled on the calling thread.
 */
export class BlockPool {
  private static shared: BlockPool | null = null;
  /** Worker threads: at most the cores the process may use (a container's node may have many more). */
  private static threads = Math.max(1, Math.min(availableParallelism(), 2));
  private readonly workers: BlockWorker[] = [];
  private next = 0;
  /**
   * Buffers that carry blocks to the workers and come back with their replies: a block copied
   * by postMessage was a fresh buffer in the worker, which V8 freed only when that worker
   * collected its garbage (rarely: the scanners make little), so the two workers held up to
   * 170 MB of old blocks at a time (10M events, Parquet).
   */
  private readonly blocks: ArrayBuffer[] = [];

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
   * The XML of a block of events (see xmlEventsOfBlock). `bytes` is copied to the worker;
   * `spare` (the buffer of a block already written) moves there to be written into again.
   */
  async xml(bytes: Uint8Array, ranges: Int32Array, options: XmlOptions, spare?: ArrayBuffer): Promise<XmlBlock> {
    if (!this.script) return xmlEventsOfBlock(bytes, ranges, spare, options.layout, options.records);
    const reply = await this.send('xml', this.carrier(bytes), ranges, spare, options);
    if (!reply.bytes || !reply.sizes) throw new Error('worker thread: no XML in its reply');
    return { xml: Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength), sizes: reply.sizes };
  }

  /** The structure of a block of events (see structureOfBlock). */
  async structure(bytes: Uint8Array, ranges: Int32Array): Promise<JsonStructure> {
    if (!this.script) return structureOfBlock(bytes, ranges);
    const reply = await this.send('structure', this.carrier(bytes), ranges);
    if (reply.structure === undefined) throw new Error('worker thread: no structure in its reply');
    return JSON.parse(reply.structure) as JsonStructure;
  }

  /** A copy of `bytes` in a buffer of the pool's (one of those come back, or a new one). */
  private carrier(bytes: Uint8Array): Uint8Array {
    let block = this.blocks.pop();
    if (!block || block.byteLength < bytes.length) block = new ArrayBuffer(Math.max(bytes.length, SPOOL_BLOCK_BYTES));
    const view = new Uint8Array(block, 0, bytes.length);
    view.set(bytes);
    return view;
  }

  private send(
    task: Task,
    bytes: Uint8Array,
    ranges: Int32Array,
    spare?: ArrayBuffer,
    xml?: XmlOptions,
  ): Promise<Reply> {
    const script = this.script as string;
    for (let i = this.workers.length - 1; i >= 0; i--) if (this.workers[i].failed) this.workers.splice(i, 1);
    while (this.workers.length < BlockPool.threads) this.workers.push(new BlockWorker(script));
    const worker = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return worker.send(this.next++, task, bytes, ranges, spare, xml).then((reply) => {
      // Kept for the next blocks (as many as were in flight at once); a long line's larger one is let go.
      if (reply.block && reply.block.byteLength <= SPOOL_BLOCK_BYTES) this.blocks.push(reply.block);
      return reply;
    });
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

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { XmlBlock, xmlEventsOfBlock } from './xml-event';

interface Pending {
  resolve(block: XmlBlock): void;
  reject(error: Error): void;
}

/** One worker thread and the blocks it has been given. */
class XmlWorker {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;
  failed = false;

  constructor(script: string) {
    this.worker = new Worker(script);
    this.worker.unref();
    this.worker.on('message', (m: { id: number; bytes?: Uint8Array; sizes?: Int32Array; error?: string }) => {
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (!waiting) return;
      if (m.error !== undefined || !m.bytes || !m.sizes) waiting.reject(new Error(`XML worker: ${m.error ?? 'no result'}`));
      else waiting.resolve({ xml: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), sizes: m.sizes });
    });
    const fail = (error: Error) => {
      this.failed = true;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`XML worker exited with code ${code}`)));
  }

  convert(id: number, bytes: Uint8Array, ranges: Int32Array): Promise<XmlBlock> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Referenced while it has work, so a caller awaiting it keeps the process alive.
      this.worker.ref();
      this.worker.postMessage({ id, bytes, ranges });
    });
  }
}

/**
 * Worker threads that turn blocks of events into XML, one per core: the XML writer is
 * JavaScript (JSON.parse and our own serialiser), which on the main thread alone was the
 * bottleneck of XML exports. A block goes to the worker with the fewest blocks in hand; a
 * worker that dies is replaced. Without the compiled worker script (TypeScript run
 * directly, as in unit tests), blocks are converted on the calling thread.
 */
export class XmlPool {
  private static shared: XmlPool | null = null;
  private readonly workers: XmlWorker[] = [];
  private next = 0;

  private constructor(
    private readonly script: string | null,
    private readonly size: number,
  ) {}

  static get(): XmlPool {
    if (!XmlPool.shared) {
      const script = join(__dirname, 'xml-worker.js');
      XmlPool.shared = new XmlPool(existsSync(script) ? script : null, Math.max(1, availableParallelism()));
    }
    return XmlPool.shared;
  }

  /** The XML of a block of events (see xmlEventsOfBlock). `bytes` is copied to the worker. */
  async convert(bytes: Uint8Array, ranges: Int32Array): Promise<XmlBlock> {
    if (!this.script) return xmlEventsOfBlock(bytes, ranges);
    for (let i = this.workers.length - 1; i >= 0; i--) if (this.workers[i].failed) this.workers.splice(i, 1);
    while (this.workers.length < this.size) this.workers.push(new XmlWorker(this.script));
    const worker = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return worker.convert(this.next++, bytes, ranges);
  }
}

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STACK } from './local-stack';

function run(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // No stdin pipe unless there is input: kcat -l may exit before it would read it (EPIPE).
    const child = spawn('kcat', args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`)),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Produces messages with kcat, one per line of `values`, as an operator replays events.
 * With `keys`, each message gets the key of the same index; a null value is a tombstone.
 * Returns once all are acked.
 */
export async function kcatProduce(
  topic: string,
  values: (string | null)[],
  keys?: string[],
  options: { compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd'; brokers?: string } = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kcat-'));
  try {
    const file = join(dir, 'messages');
    const delimiter = '\u0001';
    if (values.some((v) => v !== null && (v.includes('\n') || v === '')))
      throw new Error('kcat -l sends one non-empty message per line');
    writeFileSync(
      file,
      values.map((v, i) => (keys ? `${keys[i]}${delimiter}${v ?? ''}` : (v ?? ''))).join('\n') + '\n',
    );
    await run([
      '-P',
      '-b',
      options.brokers ?? STACK.kafkaBrokers,
      '-t',
      topic,
      '-l',
      '-X',
      'enable.idempotence=true',
      '-X',
      'acks=all',
      ...(keys ? ['-K', delimiter] : []),
      ...(values.includes(null) ? ['-Z'] : []),
      ...(options.compression ? ['-z', options.compression] : []),
      file,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a whole topic with kcat (values and headers), e.g. the dead-letter topic. */
export async function kcatConsumeAll(topic: string): Promise<{ value: string; headers: string }[]> {
  const out = await run([
    '-C',
    '-b',
    STACK.kafkaBrokers,
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-q',
    '-f',
    '%h\u0002%s\u0003',
  ]);
  return out
    .split('\u0003')
    .filter((s) => s.length > 0)
    .map((s) => {
      const [headers, value] = s.replace(/^\n/, '').split('\u0002');
      return { headers, value };
    });
}

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEventFile } from './events';

/**
 * `npm run replay -- --topic events.<accountId> [--count 100000] [--days 2] [--event-names 8]
 *   [--seed 1] [--brokers localhost:9092] [--file path]`
 * Generates a realistic event file (or takes --file) and replays it into Kafka with kcat.
 */
export function kcatReplay(brokers: string, topic: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kcat',
      [
        '-P',
        '-b',
        brokers,
        '-t',
        topic,
        '-l',
        '-X',
        'linger.ms=50',
        '-X',
        'batch.num.messages=10000',
        '-X',
        'queue.buffering.max.messages=1000000',
        '-X',
        'compression.type=lz4',
        file,
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited with ${code}`))));
  });
}

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const topic = arg('topic');
  if (!topic) throw new Error('--topic is required (e.g. events.<accountId>)');
  const brokers = arg('brokers', 'localhost:9092') as string;
  let file = arg('file');
  // A generated file is removed once replayed (a million events is about 540 MB); --file is left as it is.
  let generated: string | null = null;
  if (!file) {
    generated = mkdtempSync(join(tmpdir(), 'replay-'));
    file = join(generated, 'events.jsonl');
    const count = Number(arg('count', '100000'));
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const { bytes } = await writeEventFile(file, {
      count,
      days: Number(arg('days', '2')),
      eventNames: Number(arg('event-names', '8')),
      seed: Number(arg('seed', '1')),
      lastDay: today,
    });
    console.log(`generated ${count} events (${(bytes / 1e6).toFixed(1)} MB) in ${file}`);
  }
  try {
    const started = Date.now();
    await kcatReplay(brokers, topic, file);
    console.log(`replayed into ${topic} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    if (generated) rmSync(generated, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { readRanges, registerCompressionCodecs } from '@bulk-export/messaging';
import { api, clockPast, gcs, makeServiceKey, TestAccount, waitFor } from '@bulk-export/testing';
import { writeEventFile } from './events';
import { measure, reapedChildrenCpuSeconds, round, stackPids } from './proc';
import { BenchSystem } from './replicas';
import { Figures, formatTable, medianFigures, Row } from './report';
import { kcatReplay } from './replay';

/**
 * `npm run bench [-- --events 1000000] [--formats json,csv,xml,parquet] [--replicas 1] [--rounds 1]
 *   [--set KEY=VALUE]… [--node-args "<flags>"] [--cpu-prof <dir>] [--skip-duckdb] [--staging-bucket] [--keep]
 *   [--no-warmup]`
 *
 * On one fresh topic: the time kcat needs to read it all (the limit) and its CPU, the time
 * our export needs from creating a one-time export over the whole topic to `done` (per
 * format), DuckDB alone copying the same rows to each format, and during each export the
 * peak RSS and CPU seconds of every service (and Kafka's and fake-gcs-server's CPU).
 * Prints a table and writes bench/results/<time>-<events>.json.
 *
 * `--replicas N` runs N extractors and N uploaders (keyed `extractor-1`…, `uploader-1`…
 * when N > 1) and records how the export's work split between them (events read, rows
 * written). `--rounds R` exports the formats R times in turn (json, csv, …, json, csv, …);
 * an export row then shows each figure's median, with every round's figures in the JSON.
 * `--node-args` starts the services with more Node.js flags, e.g. `--trace-gc` (its lines go
 * to the services' logs), which NODE_OPTIONS does not take. `--staging-bucket` stages through a
 * bucket of fake-gcs-server (`STAGING_URI=gs://…`, as on Kubernetes) instead of a folder both
 * services see.
 *
 * One export of the first format, not measured, warms the services up first (`--no-warmup`: none):
 * the first export after the services start pays once for memory the kernel hands out for the first
 * time (on the 2-core VM of BENCHMARKS.md some 3–5 CPU-s of the extractor's kernel time per million
 * events, never again after), and for the JIT; the rounds measure what every later export costs.
 *
 * Each format's files are deleted from the bucket once counted, and the bucket and the
 * topic at the end (a 10M run writes some 15 GB to the stack's disk otherwise); `--keep`
 * leaves both, to look at.
 */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/**
 * Every `--set KEY=VALUE`: settings for the services (e.g. `--set EXTRACT_TASKS_AT_ONCE=2`), to measure one against
 * another.
 */
function settings(): Record<string, string> {
  const set: Record<string, string> = {};
  process.argv.forEach((a, i) => {
    if (a !== '--set') return;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(process.argv[i + 1] ?? '');
    if (!m) throw new Error(`--set takes KEY=VALUE, not ${process.argv[i + 1]}`);
    set[m[1]] = m[2];
  });
  return set;
}

/**
 * Reads the whole topic with kcat; resolves to kcat's own CPU seconds (no other child of the bench ends meanwhile: the
 * services run on).
 */
async function kcatRead(topic: string): Promise<number> {
  const before = reapedChildrenCpuSeconds();
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(
      'kcat',
      ['-C', '-b', 'localhost:9092', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'fetch.max.bytes=52428800'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`kcat exited ${code}`))));
  });
  return round(reapedChildrenCpuSeconds() - before);
}

/**
 * Reads the whole topic with a kafkajs consumer (eachBatch, counting messages): the client the services use for
 * commands.
 */
async function timeKafkajsRead(topic: string, events: number): Promise<number> {
  registerCompressionCodecs();
  const kafka = new Kafka({ clientId: 'bench', brokers: ['localhost:9092'], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `bench-read-${Date.now()}`,
    maxBytesPerPartition: 8 << 20,
    maxBytes: 64 << 20,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const started = process.hrtime.bigint();
  let count = 0;
  await new Promise<void>((resolvePromise) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= events) resolvePromise();
      },
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await consumer.disconnect();
  return seconds;
}

/** Reads the whole topic with the extractor's range reader (@platformatic/kafka Fetch requests), counting records. */
async function timeRangeReader(topic: string): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench', brokers: ['localhost:9092'], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ranges = (await admin.fetchTopicOffsets(topic)).map((p) => ({
    partition: p.partition,
    start: BigInt(p.low),
    end: BigInt(p.high),
  }));
  await admin.disconnect();
  const started = process.hrtime.bigint();
  let count = 0;
  await readRanges(
    { clientId: 'bench', brokers: ['localhost:9092'] },
    { debug: () => undefined },
    { topic, ranges, onRecords: (_, records) => void (count += records.length) },
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function duckdbAlone(file: string, formats: string[], dir: string): Promise<Record<string, number>> {
  const db = await DuckDBInstance.create(':memory:', {
    memory_limit: '1GB',
    threads: '2',
    temp_directory: join(dir, 'duckdb-spill'),
  });
  const c = await db.connect();
  await c.run(
    `CREATE TABLE events AS SELECT * FROM read_json('${file}', format = 'newline_delimited', union_by_name = true, sample_size = -1)`,
  );
  const seconds: Record<string, number> = {};
  for (const format of formats.filter((f) => f !== 'xml')) {
    const target = join(dir, `duck.${format}`);
    const options =
      format === 'parquet'
        ? '(FORMAT parquet, COMPRESSION snappy)'
        : format === 'csv'
          ? '(FORMAT csv, HEADER true)'
          : '(FORMAT json)';
    const started = process.hrtime.bigint();
    await c.run(`COPY events TO '${target}' ${options}`);
    seconds[format] = Number(process.hrtime.bigint() - started) / 1e9;
    rmSync(target, { force: true });
  }
  c.closeSync();
  db.closeSync();
  return seconds;
}

/** Deletes the run's bucket and topic (whichever were made); a failure is only reported. */
async function removeBenchData(bucket: string, topic: string): Promise<void> {
  try {
    if (bucket) await gcs.deleteBucket(bucket);
    if (topic) {
      const admin = new Kafka({ clientId: 'bench', brokers: ['localhost:9092'], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
      } finally {
        await admin.disconnect();
      }
    }
  } catch (e) {
    console.error(
      `could not remove the bench's bucket ${bucket} or topic ${topic}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** What every export of the bench shares: the services, the account and the whole topic's time range. */
interface ExportSetup {
  bench: BenchSystem;
  account: TestAccount;
  credentialId: string;
  from: number;
  to: number;
  events: number;
  mb: number;
  kcatRate: number;
}

interface ExportStatus {
  status: string;
  runs: { rowsWritten: number; bytesWritten: number; filesCount: number; error?: string }[];
}

/** One one-time export over the whole topic in `format`, from its creation to `done`, measured. */
async function exportOnce(s: ExportSetup, format: string): Promise<Figures> {
  const { bench, account } = s;
  const workBefore = await bench.workDone();
  const m = await measure(bench.pids(), stackPids(), async () => {
    const created = await api<{ id: string }>(bench.system.api, 'POST', '/v1/exports', {
      apiKey: account.apiKey,
      body: {
        partner: 'gcp',
        credentialId: s.credentialId,
        type: 'all_events',
        frequency: 'one_time',
        from: new Date(s.from).toISOString(),
        to: new Date(s.to).toISOString(),
        format,
      },
    });
    return waitFor(
      `${format} export done`,
      async () => {
        const res = await api<ExportStatus>(bench.system.api, 'GET', `/v1/exports/${created.body.id}`, {
          apiKey: account.apiKey,
        });
        if (res.body.status === 'failed') throw new Error(`export failed: ${res.body.runs[0]?.error}`);
        return res.body.status === 'done' ? res.body : undefined;
      },
      { timeoutMs: 30 * 60_000, intervalMs: 100 },
    );
  });
  const workAfter = await bench.workDone();
  const run = m.result.runs[0];
  if (run.rowsWritten !== s.events) throw new Error(`${format}: ${run.rowsWritten} rows written, expected ${s.events}`);
  const workersCpu = bench.workerKeys.reduce((sum, key) => sum + m.cpuSeconds[key], 0);
  return {
    seconds: m.seconds,
    eventsPerSecond: s.events / m.seconds,
    mbPerSecond: s.mb / m.seconds,
    ratioToKcat: s.events / m.seconds / s.kcatRate,
    peakRssMb: m.peakRssMb,
    cpuSeconds: { ...m.cpuSeconds, 'extractor+uploader': round(workersCpu) },
    work: Object.fromEntries(bench.workerKeys.map((key) => [key, workAfter[key] - workBefore[key]])),
    files: run.filesCount,
    outputMb: Math.round(run.bytesWritten / 1e6),
  };
}

async function main(): Promise<void> {
  const events = Number(arg('events', '1000000'));
  const formats = arg('formats', 'json,csv,xml,parquet').split(',');
  const replicas = Number(arg('replicas', '1'));
  const rounds = Number(arg('rounds', '1'));
  if (!(Number.isInteger(replicas) && replicas >= 1 && Number.isInteger(rounds) && rounds >= 1))
    throw new Error('--replicas and --rounds take a whole number from 1');
  const work = mkdtempSync(join(tmpdir(), 'bench-'));
  const file = join(work, 'events.jsonl');
  console.log(`generating ${events} events…`);
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const { bytes } = await writeEventFile(file, { count: events, days: 2, eventNames: 8, seed: 42, lastDay: today });
  const mb = bytes / 1e6;
  console.log(`  ${mb.toFixed(0)} MB, ${(bytes / events).toFixed(0)} bytes an event`);

  const profiles = arg('cpu-prof', '');
  const nodeArgs = [process.env.SERVICE_NODE_ARGS ?? '', arg('node-args', '')];
  if (profiles) {
    // Every service writes a V8 CPU profile (open in Chrome DevTools or speedscope) when it stops.
    mkdirSync(profiles, { recursive: true });
    nodeArgs.push(`--cpu-prof --cpu-prof-dir=${profiles}`);
  }
  process.env.SERVICE_NODE_ARGS = nodeArgs.filter(Boolean).join(' ');
  const keep = process.argv.includes('--keep');
  const warmup = !process.argv.includes('--no-warmup');
  // The staging store of a cluster: a bucket, which the extractor publishes to and the uploader fetches from.
  const stagingBucket = process.argv.includes('--staging-bucket') ? await gcs.createBucket() : '';
  let bucket = '';
  let topic = '';
  const bench = await BenchSystem.start(
    {
      LOG_LEVEL: 'info',
      STAGING_DIR: join(work, 'staging'),
      WINDOW_GRACE_MS: '0',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      ...(stagingBucket ? { STAGING_URI: `gs://${stagingBucket}/bench/` } : {}),
      ...settings(),
    },
    replicas,
  );
  try {
    const account = await bench.system.createAccount();
    bucket = await gcs.createBucket();
    topic = account.eventsTopic;
    const credentialId = (
      await api<{ id: string }>(bench.system.api, 'POST', '/v1/credentials/gcp', {
        apiKey: account.apiKey,
        body: { serviceKey: makeServiceKey(), bucket },
      })
    ).body.id;
    const from = Date.now();
    console.log(`replaying into ${topic} with kcat…`);
    const replayStarted = Date.now();
    await kcatReplay('localhost:9092', topic, file);
    console.log(`  ${((Date.now() - replayStarted) / 1000).toFixed(1)} s`);
    const to = Date.now() + 1;
    await clockPast(to);

    const rows: Row[] = [];
    const kcat = await measure({}, stackPids(), () => kcatRead(topic));
    const kcatRate = events / kcat.seconds;
    rows.push({
      what: 'kcat read (the limit)',
      seconds: kcat.seconds,
      eventsPerSecond: kcatRate,
      mbPerSecond: mb / kcat.seconds,
      ratioToKcat: 1,
      cpuSeconds: { kcat: kcat.result, ...kcat.cpuSeconds },
    });
    // The two Kafka clients side by side, reading only (no staging).
    for (const [what, seconds] of [
      ['read only: kafkajs consumer', await timeKafkajsRead(topic, events)],
      ['read only: range reader (@platformatic/kafka)', await timeRangeReader(topic)],
    ] as const) {
      rows.push({
        what,
        seconds,
        eventsPerSecond: events / seconds,
        mbPerSecond: mb / seconds,
        ratioToKcat: events / seconds / kcatRate,
      });
    }

    const setup: ExportSetup = { bench, account, credentialId, from, to, events, mb, kcatRate };
    if (warmup) {
      const figures = await exportOnce(setup, formats[0]);
      console.log(`  ${formats[0]} (warm-up, not measured): ${figures.seconds.toFixed(1)} s`);
      await gcs.empty(bucket);
    }
    const byFormat = new Map<string, Figures[]>(formats.map((format) => [format, []]));
    for (let r = 1; r <= rounds; r++) {
      for (const format of formats) {
        const figures = await exportOnce(setup, format);
        byFormat.get(format)?.push(figures);
        console.log(`  ${format}${rounds > 1 ? ` (round ${r})` : ''}: ${figures.seconds.toFixed(1)} s`);
        if (!keep) await gcs.empty(bucket);
      }
    }
    for (const [format, figures] of byFormat) {
      rows.push({
        what: `export ${format}`,
        ...medianFigures(figures),
        replicas,
        ...(rounds > 1 ? { rounds: figures } : {}),
      });
    }

    const duck = process.argv.includes('--skip-duckdb') ? {} : await duckdbAlone(file, formats, work);
    for (const [format, seconds] of Object.entries(duck)) {
      rows.push({
        what: `DuckDB alone: COPY table → ${format}`,
        seconds,
        eventsPerSecond: events / seconds,
        mbPerSecond: mb / seconds,
        ratioToKcat: events / seconds / kcatRate,
      });
    }

    const columns = {
      rssKeys: Object.keys(bench.pids()),
      cpuKeys: [...bench.workerKeys, 'extractor+uploader', 'kcat', ...Object.keys(stackPids())],
      workKeys: bench.workerKeys,
    };
    console.log(`\n${rounds > 1 ? `exports: the median of ${rounds} rounds\n` : ''}${formatTable(rows, columns)}`);

    const result = {
      at: new Date().toISOString(),
      events,
      inputMb: Math.round(mb),
      bytesPerEvent: Math.round(bytes / events),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      replicas,
      warmup,
      staging: stagingBucket ? 'bucket' : 'folder',
      settings: settings(),
      rows,
    };
    const dir = resolve(__dirname, '../../bench/results');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `${result.at.replace(/[:.]/g, '-')}-${events}.json`);
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nwritten to ${out} (input file ${statSync(file).size} bytes)`);
  } finally {
    await bench.stop();
    rmSync(work, { recursive: true, force: true });
    if (!keep) await removeBenchData(bucket, topic);
    if (stagingBucket && !keep) await removeBenchData(stagingBucket, '');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

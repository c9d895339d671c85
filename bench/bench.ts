import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { readRanges, registerCompressionCodecs } from '@bulk-export/messaging';
import { api, clockPast, gcs, makeServiceKey, ServiceName, TestSystem, waitFor } from '@bulk-export/testing';
import { writeEventFile } from './events';
import { kcatReplay } from './replay';

/**
 * `npm run bench [-- --events 1000000] [--formats json,csv,xml,parquet] [--cpu-prof <dir>] [--skip-duckdb] [--keep]`
 *
 * On one fresh topic: the time kcat needs to read it all (the limit), the time our export
 * needs from creating a one-time export over the whole topic to `done` (per format),
 * DuckDB alone copying the same rows to each format, and the peak RSS of every service
 * during each export. Prints a table and writes bench/results/<time>-<events>.json.
 *
 * Each format's files are deleted from the bucket once counted, and the bucket and the
 * topic at the end (a 10M run writes some 15 GB to the stack's disk otherwise); `--keep`
 * leaves both, to look at.
 */
interface Row {
  what: string;
  seconds: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  ratioToKcat: number | null;
  peakRssMb?: Record<string, number>;
  /** CPU seconds (user + system, all threads) each process used during the export. */
  cpuSeconds?: Record<string, number>;
  files?: number;
  outputMb?: number;
}

const SERVICES: ServiceName[] = ['request-api', 'scheduler', 'extractor', 'uploader'];
/** The processes whose CPU time the table shows (all are in the JSON). */
const CPU_COLUMNS = ['extractor', 'uploader', 'kafka', 'gcs'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system, every thread) a process has used so far; 0 if it is gone. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

/** The stack's Kafka broker and fake-gcs-server, by the pid files `npm run stack` keeps. */
function stackPids(): Record<string, number> {
  const run = join(process.env.STACK_DIR ?? resolve(__dirname, '../../.stack'), 'run');
  const pids: Record<string, number> = {};
  for (const name of ['kafka', 'gcs']) {
    try {
      pids[name] = Number(readFileSync(join(run, `${name}.pid`), 'utf8').trim());
    } catch {
      // not started by the stack script: not measured
    }
  }
  return pids;
}

async function timeKcatRead(topic: string): Promise<number> {
  const started = process.hrtime.bigint();
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn('kcat', ['-C', '-b', 'localhost:9092', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'fetch.max.bytes=52428800'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`kcat exited ${code}`))));
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Reads the whole topic with a kafkajs consumer (eachBatch, counting messages): the client the services use for commands. */
async function timeKafkajsRead(topic: string, events: number): Promise<number> {
  registerCompressionCodecs();
  const kafka = new Kafka({ clientId: 'bench', brokers: ['localhost:9092'], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-read-${Date.now()}`, maxBytesPerPartition: 8 << 20, maxBytes: 64 << 20, maxWaitTimeInMs: 100 });
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
  const ranges = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, start: BigInt(p.low), end: BigInt(p.high) }));
  await admin.disconnect();
  const started = process.hrtime.bigint();
  let count = 0;
  await readRanges({ clientId: 'bench', brokers: ['localhost:9092'] }, { debug: () => undefined }, { topic, ranges, onRecords: (_, records) => void (count += records.length) });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function duckdbAlone(file: string, formats: string[], dir: string): Promise<Record<string, number>> {
  const db = await DuckDBInstance.create(':memory:', { memory_limit: '1GB', threads: '2', temp_directory: join(dir, 'duckdb-spill') });
  const c = await db.connect();
  await c.run(`CREATE TABLE events AS SELECT * FROM read_json('${file}', format = 'newline_delimited', union_by_name = true, sample_size = -1)`);
  const seconds: Record<string, number> = {};
  for (const format of formats.filter((f) => f !== 'xml')) {
    const target = join(dir, `duck.${format}`);
    const options = format === 'parquet' ? '(FORMAT parquet, COMPRESSION snappy)' : format === 'csv' ? '(FORMAT csv, HEADER true)' : '(FORMAT json)';
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
    console.error(`could not remove the bench's bucket ${bucket} or topic ${topic}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function main(): Promise<void> {
  const events = Number(arg('events', '1000000'));
  const formats = arg('formats', 'json,csv,xml,parquet').split(',');
  const work = mkdtempSync(join(tmpdir(), 'bench-'));
  const file = join(work, 'events.jsonl');
  console.log(`generating ${events} events…`);
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const { bytes } = await writeEventFile(file, { count: events, days: 2, eventNames: 8, seed: 42, lastDay: today });
  const mb = bytes / 1e6;
  console.log(`  ${mb.toFixed(0)} MB, ${(bytes / events).toFixed(0)} bytes an event`);

  const profiles = arg('cpu-prof', '');
  if (profiles) {
    // Every service writes a V8 CPU profile (open in Chrome DevTools or speedscope) when it stops.
    mkdirSync(profiles, { recursive: true });
    process.env.SERVICE_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profiles}`;
  }
  const keep = process.argv.includes('--keep');
  let bucket = '';
  let topic = '';
  const system = await TestSystem.start({ LOG_LEVEL: 'info', STAGING_DIR: join(work, 'staging'), WINDOW_GRACE_MS: '0', KAFKA_SESSION_TIMEOUT_MS: '10000' });
  try {
    const account = await system.createAccount();
    bucket = await gcs.createBucket();
    topic = account.eventsTopic;
    const credentialId = (await api<{ id: string }>(system.api, 'POST', '/v1/credentials/gcp', { apiKey: account.apiKey, body: { serviceKey: makeServiceKey(), bucket } })).body.id;
    const from = Date.now();
    console.log(`replaying into ${account.eventsTopic} with kcat…`);
    const replayStarted = Date.now();
    await kcatReplay('localhost:9092', account.eventsTopic, file);
    console.log(`  ${((Date.now() - replayStarted) / 1000).toFixed(1)} s`);
    const to = Date.now() + 1;
    await clockPast(to);

    const rows: Row[] = [];
    const kcatSeconds = await timeKcatRead(account.eventsTopic);
    const kcatRate = events / kcatSeconds;
    rows.push({ what: 'kcat read (the limit)', seconds: kcatSeconds, eventsPerSecond: kcatRate, mbPerSecond: mb / kcatSeconds, ratioToKcat: 1 });
    // The two Kafka clients side by side, reading only (no staging).
    for (const [what, seconds] of [
      ['read only: kafkajs consumer', await timeKafkajsRead(account.eventsTopic, events)],
      ['read only: range reader (@platformatic/kafka)', await timeRangeReader(account.eventsTopic)],
    ] as const) {
      rows.push({ what, seconds, eventsPerSecond: events / seconds, mbPerSecond: mb / seconds, ratioToKcat: events / seconds / kcatRate });
    }

    for (const format of formats) {
      const peak: Record<string, number> = {};
      const sampler = setInterval(() => {
        for (const name of SERVICES) peak[name] = Math.max(peak[name] ?? 0, rssMb(system.service(name).pid));
      }, 100);
      const pids: Record<string, number> = { ...Object.fromEntries(SERVICES.map((name) => [name, system.service(name).pid])), ...stackPids() };
      const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
      const started = process.hrtime.bigint();
      const created = await api<{ id: string }>(system.api, 'POST', '/v1/exports', {
        apiKey: account.apiKey,
        body: { partner: 'gcp', credentialId, type: 'all_events', frequency: 'one_time', from: new Date(from).toISOString(), to: new Date(to).toISOString(), format },
      });
      const done = await waitFor(
        `${format} export done`,
        async () => {
          const res = await api<{ status: string; runs: { rowsWritten: number; bytesWritten: number; filesCount: number; error?: string }[] }>(system.api, 'GET', `/v1/exports/${created.body.id}`, { apiKey: account.apiKey });
          if (res.body.status === 'failed') throw new Error(`export failed: ${res.body.runs[0]?.error}`);
          return res.body.status === 'done' ? res.body : undefined;
        },
        { timeoutMs: 30 * 60_000, intervalMs: 100 },
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearInterval(sampler);
      const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.round((cpuSeconds(pid) - cpuBefore[name]) * 10) / 10]));
      if (done.runs[0].rowsWritten !== events) throw new Error(`${format}: ${done.runs[0].rowsWritten} rows written, expected ${events}`);
      rows.push({
        what: `export ${format}`,
        seconds,
        eventsPerSecond: events / seconds,
        mbPerSecond: mb / seconds,
        ratioToKcat: events / seconds / kcatRate,
        peakRssMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v)])),
        cpuSeconds: cpu,
        files: done.runs[0].filesCount,
        outputMb: Math.round(done.runs[0].bytesWritten / 1e6),
      });
      console.log(`  ${format}: ${seconds.toFixed(1)} s`);
      if (!keep) await gcs.empty(bucket);
    }

    const duck = process.argv.includes('--skip-duckdb') ? {} : await duckdbAlone(file, formats, work);
    for (const [format, seconds] of Object.entries(duck)) {
      rows.push({ what: `DuckDB alone: COPY table → ${format}`, seconds, eventsPerSecond: events / seconds, mbPerSecond: mb / seconds, ratioToKcat: events / seconds / kcatRate });
    }

    const table = [
      ['what', 'seconds', 'events/s', 'MB/s', '× kcat', 'peak RSS MB (api/sched/extr/upl)', 'CPU s (extr/upl/kafka/gcs)'],
      ...rows.map((r) => [
        r.what,
        r.seconds.toFixed(2),
        Math.round(r.eventsPerSecond).toLocaleString('en-US'),
        r.mbPerSecond.toFixed(1),
        r.ratioToKcat === null ? '' : r.ratioToKcat.toFixed(2),
        r.peakRssMb ? SERVICES.map((s) => r.peakRssMb?.[s] ?? 0).join(' / ') : '',
        r.cpuSeconds ? CPU_COLUMNS.map((s) => r.cpuSeconds?.[s]?.toFixed(1) ?? '-').join(' / ') : '',
      ]),
    ];
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
    console.log('\n' + table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n'));

    const result = {
      at: new Date().toISOString(),
      events,
      inputMb: Math.round(mb),
      bytesPerEvent: Math.round(bytes / events),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      rows,
    };
    const dir = resolve(__dirname, '../../bench/results');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `${result.at.replace(/[:.]/g, '-')}-${events}.json`);
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nwritten to ${out} (input file ${statSync(file).size} bytes)`);
  } finally {
    await system.stop();
    rmSync(work, { recursive: true, force: true });
    if (!keep) await removeBenchData(bucket, topic);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

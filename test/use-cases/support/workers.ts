import { extractTasks } from '@bulk-export/domain';
import { DeadLetter, KafkaClient } from '@bulk-export/messaging';
import { Export, ExportRun, RunTask } from '@bulk-export/persistence';
import { RunLifecycle, StagingStore, TaskCommand, TaskSteps } from '@bulk-export/pipeline';
import { AccountFixture, createTopic, TestWorld } from '@bulk-export/testing';
import { ExtractTaskUseCase } from '../../../apps/extractor/src/extract-task.use-case';
import { ExportBucket } from '../../../apps/uploader/src/export-bucket';
import { FinishRunUseCase } from '../../../apps/uploader/src/finish-run.use-case';
import { UploaderDuckDb } from '../../../apps/uploader/src/uploader-duckdb';
import { WriteGroupUseCase } from '../../../apps/uploader/src/write-group.use-case';
import { produceInWindow } from '../../support/exports';

/**
 * What the extractor's and the uploader's use cases are built from, wired by hand as their
 * modules wire them, against the world's database, the local Kafka and fake-gcs-server.
 */
export class Workers {
  readonly staging: StagingStore;
  readonly lifecycle: RunLifecycle;
  readonly steps: TaskSteps;
  readonly deadLetter: DeadLetter;
  readonly bucket: ExportBucket;
  readonly duckdb: UploaderDuckDb;

  private constructor(
    readonly world: TestWorld,
    readonly kafka: KafkaClient,
  ) {
    const { config, logger, metrics } = world;
    this.staging = new StagingStore(config, logger);
    this.lifecycle = new RunLifecycle(world.runs, world.tasks, config, logger, metrics, this.staging, world.topics);
    this.steps = new TaskSteps(world.tasks, this.lifecycle, logger, metrics);
    this.deadLetter = new DeadLetter(kafka, world.topics.deadLetter, logger, metrics);
    this.bucket = new ExportBucket(world.credentials, world.cipher, world.clients);
    this.duckdb = new UploaderDuckDb(config);
  }

  /** Connects a Kafka client and creates the world's own topics (the dead-letter topic among them). */
  static async open(world: TestWorld): Promise<Workers> {
    const kafka = new KafkaClient(world.config, 'test', world.logger);
    await kafka.connect();
    await kafka.ensureTopics(Object.values(world.topics), 1);
    return new Workers(world, kafka);
  }

  extractTask(): ExtractTaskUseCase {
    const { config, logger, metrics } = this.world;
    return new ExtractTaskUseCase(this.steps, this.staging, this.kafka, this.deadLetter, config, logger, metrics);
  }

  writeGroup(): WriteGroupUseCase {
    return new WriteGroupUseCase(
      this.steps,
      this.staging,
      this.bucket,
      this.duckdb,
      this.world.config,
      this.world.metrics,
    );
  }

  finishRun(): FinishRunUseCase {
    return new FinishRunUseCase(
      this.steps,
      this.world.tasks,
      this.lifecycle,
      this.staging,
      this.bucket,
      this.world.metrics,
    );
  }

  async close(): Promise<void> {
    await this.duckdb.onApplicationShutdown();
    await this.kafka.disconnect();
  }
}

/** The command a worker gets for a task's current try. */
export function commandOf(task: RunTask): TaskCommand {
  return { runId: task.runId, attempt: task.attempt, taskId: task.id, kind: task.kind, taskAttempt: task.taskAttempt };
}

/** `n` events (event names E0, E1… round `names`), each tagged with its place, as JSON Lines values. */
export function events(n: number, names = 2, tag = 'a'): string[] {
  return Array.from({ length: n }, (_, seq) =>
    JSON.stringify({
      eventName: `E${seq % names}`,
      ts: 20261201120000,
      profile: { identity: `u${seq}` },
      eventProps: { tag, seq },
    }),
  );
}

/**
 * An account's events topic (one partition) holding `values`, an export of `exportOverrides`
 * over exactly their window, and its run planned into extract tasks of at most `perTask`
 * offsets (as the extractor plans it). Returns the run and its extract tasks.
 */
export async function plannedRunOver(
  workers: Workers,
  owner: AccountFixture,
  credentialId: string,
  values: string[],
  perTask: number,
  exportOverrides: Partial<Export> = {},
): Promise<{ exportRow: Export; run: ExportRun; tasks: RunTask[] }> {
  const { world } = workers;
  await createTopic({ topic: owner.eventsTopic, numPartitions: 1 });
  // The topic may hold an earlier test's events: the window's start where they end.
  const [{ high }] = await workers.kafka.admin.fetchTopicOffsets(owner.eventsTopic);
  const { from, to } = await produceInWindow(owner.eventsTopic, values);
  const exportRow = await world.export(owner.account.id, credentialId, {
    windowFrom: new Date(from),
    windowTo: new Date(to),
    ...exportOverrides,
  });
  const pending = await world.run(exportRow);
  const range = { partition: 0, start: BigInt(high), end: BigInt(high) + BigInt(values.length) };
  const offsets = { '0': { start: range.start.toString(), end: range.end.toString() } };
  const { run, tasks } = await world.plannedRun(pending, extractTasks([range], [], perTask, false), offsets);
  return { exportRow, run, tasks };
}

/** plannedRunOver, then every extract task done by the extractor's use case: the run is at its write tasks. */
export async function extractedRun(
  workers: Workers,
  owner: AccountFixture,
  credentialId: string,
  values: string[],
  exportOverrides: Partial<Export> = {},
): Promise<{ exportRow: Export; run: ExportRun; writes: RunTask[] }> {
  const { world } = workers;
  const { exportRow, run, tasks } = await plannedRunOver(workers, owner, credentialId, values, 1000, exportOverrides);
  const extract = workers.extractTask();
  for (const task of tasks) await extract.execute(commandOf(task));
  const after = await world.runRow(run.id);
  if (after.phase !== 'write')
    throw new Error(
      `run ${run.id} is at ${after.phase} after its extraction, not write: ${world.logLines.filter((l) => l.includes('"error"')).join('')}`,
    );
  return { exportRow, run: after, writes: await world.tasksOf(run.id, 'write') };
}

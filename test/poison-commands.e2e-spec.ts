import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { gcs, kcatConsumeAll, kcatProduce, STACK, TestAccount, TestSystem, waitFor } from '@bulk-export/testing';
import { createExport, exportDone, oneTimeExportBody, produceInWindow, saveCredentials } from './support/exports';

/**
 * A command whose handler keeps failing must not hold back the commands behind it on its
 * partition: once it has failed COMMAND_MAX_FAILURES times while Postgres and Kafka answer,
 * it is dead-lettered with the reason and its sender gets an answer. During an outage of
 * the database it is kept instead, and handled once the database is back.
 *
 * The failures are real: a trigger in the service's own database refuses some idempotency
 * keys, and the outage is the database refusing connections.
 */
describe('commands that keep failing', () => {
  let system: TestSystem;
  let account: TestAccount;
  let credentialId: string;
  let database: string;

  beforeAll(async () => {
    system = await TestSystem.start({ COMMAND_MAX_FAILURES: '3', COMMAND_RETRY_BASE_MS: '100' }, ['request-api']);
    account = await system.createAccount();
    ({ credentialId } = await saveCredentials(system, account));
    database = new URL(system.env.DATABASE_URL).pathname.slice(1);
    await system.db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.idempotency_key LIKE 'poison-%' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
        RETURN NEW;
      END $$`);
    await system.db.query(
      `CREATE TRIGGER refuse_poison BEFORE INSERT ON exports FOR EACH ROW EXECUTE FUNCTION refuse_poison()`,
    );
  });

  afterAll(async () => {
    await system?.stop();
  });

  const commands = () => `${system.env.TOPIC_PREFIX}export.commands`;
  const command = (idempotencyKey: string) =>
    JSON.stringify({
      version: 1,
      type: 'create-export',
      accountId: account.id,
      idempotencyKey,
      export: oneTimeExportBody(credentialId),
    });
  type Result = {
    type: string;
    status: string;
    code?: string;
    idempotencyKey?: string;
    errors?: { message: string }[];
  };
  const answers = async (prefix: string) =>
    (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`))
      .map((m) => JSON.parse(m.value) as Result)
      .filter((r) => r.type === 'command-result' && r.idempotencyKey?.startsWith(prefix));
  const logSince = (from: number) => readFileSync(system.service('request-api').logPath, 'utf8').slice(from);

  it('dead-letters a command that keeps failing while the database answers, answers its sender, and goes on with the next', async () => {
    const run = Date.now();
    const poison = command(`poison-${run}`);
    // Same key: the same partition, so the good command waits behind the poison one.
    await kcatProduce(commands(), [poison, command(`good-${run}`)], [account.id, account.id]);

    const results = await waitFor('both commands answered', async () => {
      const found = [...(await answers(`poison-${run}`)), ...(await answers(`good-${run}`))];
      return found.length >= 2 ? found : undefined;
    });
    const refused = results.find((r) => r.idempotencyKey === `poison-${run}`);
    expect(refused).toMatchObject({ status: 'rejected', code: 'internal_error' });
    expect(refused?.errors?.[0].message).toMatch(
      /^the command failed 3 times while the service's dependencies answered: .*refused by the test trigger/,
    );
    expect(results.find((r) => r.idempotencyKey === `good-${run}`)?.status).toBe('accepted');

    const dead = await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`);
    const set = dead.filter((m) => m.value === poison);
    expect(set).toHaveLength(1);
    expect(set[0].headers).toContain('failed 3 times');
    const metrics = await (await fetch(`${system.api}/metrics`)).text();
    expect(metrics).toMatch(/bulk_export_command_failures_total\{[^}]*topic="[^"]+export\.commands"[^}]*\} 3\n/);
  });

  it('keeps a command that fails while the database is down, and handles it once the database is back', async () => {
    const run = Date.now();
    const logged = logSince(0).length;
    const admin = new Client({ connectionString: STACK.postgresAdminUrl });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      );
      await kcatProduce(commands(), [command(`outage-${run}`)], [account.id]);
      // Past COMMAND_MAX_FAILURES, and still kept: the database does not answer.
      await waitFor(
        'the command waiting for the database',
        async () => logSince(logged).includes('command failed while a dependency is down; it waits for it'),
        {
          timeoutMs: 60_000,
        },
      );
      expect(await answers(`outage-${run}`)).toEqual([]);
    } finally {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const [answer] = await waitFor('the command answered', async () => {
      const found = await answers(`outage-${run}`);
      return found.length ? found : undefined;
    });
    expect(answer).toMatchObject({ status: 'accepted' });
    const dead = await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`);
    expect(dead.filter((m) => m.value.includes(`outage-${run}`))).toEqual([]);
  });
});

/**
 * A run's command given up as poison must not leave the run `running` for ever (no
 * command will come for its attempt again): the attempt fails with the reason and the run
 * is retried, as any failed attempt; a task's command given up fails that try of the task,
 * which is retried. The failures are real: a trigger in the system's database refuses the
 * first attempt's claim of the run, or the first try's claim of a write task.
 */
describe('run commands that keep failing', () => {
  const EVENTS = 500;
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  let from: number;
  let to: number;

  beforeAll(async () => {
    system = await TestSystem.start({ COMMAND_MAX_FAILURES: '3', COMMAND_RETRY_BASE_MS: '100' });
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
    ({ from, to } = await produceInWindow(
      account.eventsTopic,
      Array.from({ length: EVENTS }, (_, i) =>
        JSON.stringify({
          eventName: 'Charged',
          ts: 20261127000000 + i,
          profile: { identity: `u${i}` },
          eventProps: { seq: i },
        }),
      ),
    ));
  });

  afterAll(async () => {
    await system?.stop();
  });

  /** Refuses, for attempt 1 only, the update `condition` (on OLD and NEW export_runs rows) describes. */
  async function refuseFirstAttempt(condition: string): Promise<void> {
    await system.db.query(`DROP TRIGGER IF EXISTS refuse_claim ON export_runs`);
    await system.db.query(`CREATE OR REPLACE FUNCTION refuse_claim() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.attempt = 1 AND (${condition}) THEN RAISE EXCEPTION 'claim refused by the test trigger'; END IF;
        RETURN NEW;
      END $$`);
    await system.db.query(
      `CREATE TRIGGER refuse_claim BEFORE UPDATE ON export_runs FOR EACH ROW EXECUTE FUNCTION refuse_claim()`,
    );
  }

  async function exportWithPoisonedFirstAttempt(commandTopic: string): Promise<void> {
    const exportId = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, account, exportId);
    expect(done.runs).toHaveLength(1);
    const [run] = done.runs;
    expect(run).toMatchObject({ status: 'done', attempt: 2, rowsWritten: EVENTS });

    // Attempt 1's command was dead-lettered with why, and the run recorded that attempt's failure.
    const dead = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`)).filter((m) =>
      m.value.includes(run.id),
    );
    expect(dead).toHaveLength(1);
    expect(dead[0].headers).toContain('failed 3 times');
    expect(dead[0].headers).toContain(`${system.env.TOPIC_PREFIX}${commandTopic}`);
    expect(JSON.parse(dead[0].value)).toMatchObject({ runId: run.id, attempt: 1 });
    const statuses = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.events`))
      .map((m) => JSON.parse(m.value) as { type: string; runId?: string; status: string; error?: string })
      .filter((e) => e.type === 'export-status' && e.runId === run.id);
    expect(statuses.find((e) => e.status === 'pending' && e.error)?.error).toMatch(
      /^the command failed 3 times while the service's dependencies answered: .*claim refused by the test trigger/,
    );
    expect(await gcs.empty(bucket)).toBe(run.files.length + 1); // and the manifest
  }

  it("fails and retries the attempt of an extractor's command given up", async () => {
    // startExtraction: the run becomes `running` with its claim.
    await refuseFirstAttempt(`OLD.status = 'pending' AND NEW.status = 'running'`);
    await exportWithPoisonedFirstAttempt('export.plan-runs');
  });

  it("fails and retries the try of an uploader's task command given up; the run finishes at its first attempt", async () => {
    // RunTasksRepository.start: the write task's first try gets an uploader's claim.
    await system.db.query(`DROP TRIGGER IF EXISTS refuse_claim ON export_runs`);
    await system.db.query(`CREATE OR REPLACE FUNCTION refuse_task_claim() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'write' AND NEW.task_attempt = 1 AND NEW.status = 'running' THEN RAISE EXCEPTION 'task claim refused by the test trigger'; END IF;
        RETURN NEW;
      END $$`);
    await system.db.query(
      `CREATE TRIGGER refuse_task_claim BEFORE UPDATE ON run_tasks FOR EACH ROW EXECUTE FUNCTION refuse_task_claim()`,
    );
    const exportId = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    const done = await exportDone(system, account, exportId);
    const [run] = done.runs;
    expect(run).toMatchObject({ status: 'done', attempt: 1, rowsWritten: EVENTS });
    const [task] = (await system.db.query(
      `SELECT id, task_attempt, status, error FROM run_tasks WHERE run_id = $1 AND kind = 'write'`,
      [run.id],
    )) as {
      id: string;
      task_attempt: number;
      status: string;
      error: string;
    }[];
    expect(task).toMatchObject({ task_attempt: 2, status: 'done' });
    expect(task.error).toMatch(
      /^the command failed 3 times while the service's dependencies answered: .*task claim refused by the test trigger/,
    );
    const dead = (await kcatConsumeAll(`${system.env.TOPIC_PREFIX}export.dead-letter`)).filter((m) =>
      m.value.includes(task.id),
    );
    expect(dead).toHaveLength(1);
    expect(dead[0].headers).toContain(`${system.env.TOPIC_PREFIX}export.write-tasks`);
    expect(JSON.parse(dead[0].value)).toMatchObject({ runId: run.id, taskId: task.id, taskAttempt: 1 });
    expect(await gcs.empty(bucket)).toBe(run.files.length + 1); // and the manifest
  });
});

import {
  clockPast,
  kcatConsumeAll,
  kcatProduce,
  ServiceName,
  TestAccount,
  TestSystem,
  waitFor,
} from '@bulk-export/testing';
import { createExport, exportDone, saveCredentials } from './support/exports';
import { random as seededRandom } from '../libs/formats/src/seeded-random.spec-helper';

/**
 * A few thousand generated malformed requests and messages: every answer is a 4xx (never
 * a 500, never a dropped connection), every bad message is dead-lettered, and every
 * service stays up. Seeded, so a failure can be replayed (the seed is printed).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);

describe(`fuzz (seed ${SEED})`, () => {
  const random = seededRandom(SEED);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const strings = [
    '',
    ' ',
    'gcp',
    'json',
    'all_events',
    'one_time',
    'recurring',
    '\u0000\u0007',
    '💥'.repeat(50),
    '<&>"\'',
    '../../etc/passwd',
    '%00',
    '2026-02-30T25:61:00Z',
    'null',
    '__proto__',
    '=cmd|calc',
  ];
  const keys = [
    'partner',
    'credentialId',
    'type',
    'events',
    'frequency',
    'from',
    'to',
    'intervalHours',
    'startAt',
    'format',
    'compression',
    'serviceKey',
    'bucket',
    '__proto__',
    'constructor',
    'prototype',
    'x'.repeat(300),
  ];
  function value(depth: number): unknown {
    switch (int(depth > 40 ? 6 : 9)) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2:
        return pick([0, -1, 4, 24, 25, 1e308, -1e308, 3.5, Number.MAX_SAFE_INTEGER]);
      case 3:
        return pick(strings);
      case 4:
        return 'a'.repeat(int(3) === 0 ? 60_000 : 30);
      case 5:
        return String.fromCharCode(...Array.from({ length: 20 }, () => int(0x2fff)));
      case 6:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      case 7: {
        let v: unknown = 1;
        for (let i = 0; i < 50; i++) v = [v];
        return v;
      }
      default:
        return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(keys), value(depth + 1)]));
    }
  }
  const body = () => {
    const kind = int(5);
    if (kind === 0) return JSON.stringify(value(0));
    if (kind === 1) return '{"partner":' + 'x'.repeat(int(100));
    return JSON.stringify(Object.fromEntries(Array.from({ length: 1 + int(8) }, () => [pick(keys), value(1)])));
  };

  let system: TestSystem;
  let account: TestAccount;
  let credentialId: string;

  beforeAll(async () => {
    system = await TestSystem.start({ RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'info' });
    account = await system.createAccount();
    ({ credentialId } = await saveCredentials(system, account));
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('answers 2000 malformed requests with 4xx only', async () => {
    const requests: { method: string; path: string; body?: string }[] = [];
    for (let i = 0; i < 2000; i++) {
      switch (int(5)) {
        case 0:
          requests.push({ method: 'POST', path: '/v1/exports', body: body() });
          break;
        case 1:
          requests.push({ method: 'POST', path: '/v1/credentials/gcp', body: body() });
          break;
        case 2:
          requests.push({ method: 'PUT', path: `/v1/credentials/gcp/${credentialId}`, body: body() });
          break;
        case 3:
          requests.push({
            method: 'POST',
            path: `/v1/exports/${encodeURIComponent(String(value(30)).slice(0, 500))}/stop`,
          });
          break;
        default:
          requests.push({
            method: 'GET',
            path: `/v1/exports?limit=${encodeURIComponent(String(value(30)).slice(0, 200))}&cursor=${encodeURIComponent(pick(strings))}`,
          });
      }
    }
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < requests.length) {
          const r = requests[next++];
          try {
            const res = await fetch(`${system.api}${r.path}`, {
              method: r.method,
              headers: {
                authorization: `Bearer ${account.apiKey}`,
                ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}),
              },
              body: r.body,
            });
            await res.arrayBuffer();
            const ok = r.method === 'GET' ? res.status < 500 : res.status >= 400 && res.status < 500;
            if (!ok) failures.push(`${r.method} ${r.path} ${r.body?.slice(0, 300)} → ${res.status}`);
          } catch (e) {
            failures.push(`${r.method} ${r.path} → ${(e as Error).message}`);
          }
        }
      }),
    );
    expect(failures).toEqual([]);
  });

  it('dead-letters 1000 malformed messages and exports only the real events among them', async () => {
    const prefix = system.env.TOPIC_PREFIX;
    const junk = () => {
      const v = value(0);
      const text = typeof v === 'string' && v.length > 0 ? v : JSON.stringify(v);
      return text.replace(/\n/g, ' ') || 'x';
    };
    const commandJunk = Array.from({ length: 300 }, junk);
    const planJunk = [
      ...Array.from({ length: 250 }, junk),
      ...Array.from({ length: 50 }, () =>
        JSON.stringify({
          version: 1,
          runId: '01JDQ7Z8X9K2M3N4P5Q6R7S8T9',
          exportId: '01JDQ7Z8X9K2M3N4P5Q6R7S8TA',
          attempt: 1 + int(5),
        }),
      ),
    ];
    await kcatProduce(`${prefix}export.commands`, commandJunk);
    await kcatProduce(`${prefix}export.plan-runs`, planJunk);

    const from = Date.now() + 1;
    await clockPast(from);
    const eventJunk = Array.from({ length: 400 }, junk).filter((j) => {
      try {
        const parsed = JSON.parse(j) as { eventName?: unknown };
        return !(parsed && typeof parsed === 'object' && typeof parsed.eventName === 'string');
      } catch {
        return true;
      }
    });
    const real = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ eventName: 'Real', ts: 20261127100000, profile: { identity: `r${i}` }, eventProps: {} }),
    );
    await kcatProduce(account.eventsTopic, [...eventJunk, ...real]);
    const to = Date.now() + 1;
    await clockPast(to);
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      format: 'json',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
    const done = await exportDone(system, account, id);
    expect(done.runs[0]).toMatchObject({ rowsRejected: eventJunk.length, rowsWritten: 10 });

    const expected = commandJunk.length + 250 + eventJunk.length;
    await waitFor(
      'dead letters',
      async () => (await kcatConsumeAll(`${prefix}export.dead-letter`)).length >= expected || undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    for (const name of ['request-api', 'scheduler', 'extractor', 'uploader'] as ServiceName[]) {
      expect((await fetch(`${system.service(name).url}/health/ready`)).status).toBe(200);
    }
  });
});

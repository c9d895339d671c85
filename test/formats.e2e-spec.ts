import { crc32c } from '@node-rs/crc32';
import { parseFileName } from '@bulk-export/formats';
import { crc32cBase64 } from '@bulk-export/storage';
import { clockPast, createTopic, gcs, kcatProduce, TestAccount, TestSystem } from '@bulk-export/testing';
import { createExport, ExportBody, exportDone, saveCredentials } from './support/exports';
import { asXmlText, Json, readCsvFile, readJsonFile, readParquetFile, readXmlFile, unzipIf } from './support/readers';

/**
 * Every format × export type (and each compression) on hostile data, read back with real
 * parsers and compared with what was produced: no row more, no row less.
 */
const WEIRD = 'Ünïcødé 😀 "quoted", comma; <&> \'apos\' \n newline \t tab \r cr \u0001\u0007 controls';

type Event = {
  eventName: string;
  ts: number;
  profile: Record<string, Json>;
  deviceInfo?: Record<string, Json>;
  eventProps: Record<string, Json>;
};

const EVENTS: Event[] = [
  {
    eventName: 'App Launched',
    ts: 20261126080000,
    profile: { identity: 'u1', name: WEIRD },
    eventProps: { a: 1, s: WEIRD },
  },
  {
    eventName: 'App Launched',
    ts: 20261126090000,
    profile: { identity: 'u2' },
    eventProps: { a: 2.5, b: true, c: null, deep: { l1: { l2: { l3: { l4: { l5: { l6: 'deep' } } } } } } },
  },
  {
    eventName: 'App Launched',
    ts: 20261127100000,
    profile: { identity: 'u3' },
    eventProps: {
      list: [1, 'two', { three: 3 }],
      formula: '=SUM(A1:A2)',
      plus: '+1',
      at: '@x',
      minus: '-5',
      tabbed: '\tx',
      negative: -5,
    },
  },
  {
    eventName: 'Charged',
    ts: 20261126110000,
    profile: { identity: 'u1' },
    deviceInfo: { os: 'iOS', model: 'iPhone "15" <Pro>' },
    eventProps: { Amount: 12.5, Currency: 'EUR' },
  },
  {
    eventName: 'Charged',
    ts: 20261126110001,
    profile: { identity: 'u4' },
    eventProps: { Amount: '13', Currency: 'USD', 'key with.dot/and~tilde': 'k' },
  },
  {
    eventName: 'Add-To/Cart Now',
    ts: 20261127120000,
    profile: { identity: 'u5' },
    eventProps: { sku: 'a-b/c', qty: 3 },
  },
  { eventName: 'Über Ereignis ✓', ts: 20261127130000, profile: { identity: 'u6' }, eventProps: { ok: false } },
];

const PROFILE_MESSAGES: [string, Record<string, Json> | null][] = [
  ['p1', { identity: 'p1', name: WEIRD, plan: 'free' }],
  ['p2', { identity: 'p2', plan: 'free', score: 1 }],
  ['p3', { identity: 'p3', plan: 'pro' }],
  ['p2', { identity: 'p2', plan: 'pro', score: 2.5, tags: ['a', 'b'] }],
  ['p3', null],
  ['p4', { identity: 'p4', address: { city: 'Zürich', zip: '8000' } }],
];
const PROFILES = new Map<string, Record<string, Json>>();
for (const [key, value] of PROFILE_MESSAGES) {
  if (value) PROFILES.set(key, value);
  else PROFILES.delete(key);
}

const day = (ts: number) => String(ts).slice(0, 8);
const canonical = (v: unknown) => JSON.stringify(sortKeys(v));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, withoutNulls(x)]),
    );
  }
  return v;
}
function xmlSafe(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '\uFFFD');
  if (Array.isArray(v)) return v.map(xmlSafe);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [xmlSafe(k) as string, xmlSafe(x)]));
  return v;
}
function multiset(values: unknown[]): string[] {
  return values.map(canonical).sort();
}

/** The records (as the file formats carry them) of each file group, keyed by event name and day. */
function expectedGroups(type: string, selected?: string[]): Map<string, Record<string, Json>[]> {
  const groups = new Map<string, Record<string, Json>[]>();
  if (type === 'all_profiles') {
    groups.set(
      'profiles',
      [...PROFILES.values()].map((profile) => ({ eventName: 'profiles', profile })),
    );
    return groups;
  }
  for (const e of EVENTS) {
    if (selected && !selected.includes(e.eventName)) continue;
    const key = `${e.eventName}|${day(e.ts)}`;
    groups.set(key, [...(groups.get(key) ?? []), e as unknown as Record<string, Json>]);
  }
  return groups;
}

function leafPaths(value: Json, prefix: string[]): string[][] {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
    return Object.keys(value).flatMap((k) => leafPaths(value[k], [...prefix, k]));
  }
  return [prefix];
}
function cell(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return JSON.stringify(value);
}
function at(record: Record<string, Json>, path: string[]): Json | undefined {
  let v: Json | undefined = record;
  for (const p of path) v = v && typeof v === 'object' && !Array.isArray(v) ? v[p] : undefined;
  return v;
}

describe('formats and export types, byte-exact', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  let from: number;
  let to: number;

  beforeAll(async () => {
    system = await TestSystem.start();
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
    const profilesTopic = system.env.PROFILES_TOPIC_TEMPLATE.replace('{accountId}', account.id);
    await createTopic({
      topic: profilesTopic,
      numPartitions: 3,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    });
    from = Date.now() + 1;
    await clockPast(from);
    await kcatProduce(
      account.eventsTopic,
      EVENTS.map((e) => JSON.stringify(e)),
    );
    await kcatProduce(
      profilesTopic,
      PROFILE_MESSAGES.map(([, v]) => (v ? JSON.stringify(v) : null)),
      PROFILE_MESSAGES.map(([k]) => k),
    );
    to = Date.now() + 1;
    await clockPast(to);
  });

  afterAll(async () => {
    await system?.stop();
  });

  const cases: [string, string, string | undefined, string[] | undefined][] = [];
  for (const format of ['json', 'csv', 'xml', 'parquet']) {
    for (const type of ['all_events', 'select_events', 'all_profiles'])
      cases.push([
        format,
        type,
        undefined,
        type === 'select_events' ? ['Charged', 'Add-To/Cart Now', 'Never Seen'] : undefined,
      ]);
  }
  cases.push(
    ['json', 'all_events', 'gzip', undefined],
    ['csv', 'all_events', 'gzip', undefined],
    ['xml', 'all_events', 'gzip', undefined],
  );
  cases.push(['parquet', 'all_events', 'zstd', undefined], ['parquet', 'all_events', 'none', undefined]);
  // The typed XML layout (the documented one is the default).
  cases.push(['xml:typed', 'all_events', undefined, undefined], ['xml:typed', 'all_profiles', undefined, undefined]);

  const done = new Map<string, Promise<ExportBody>>();
  const exportFor = (
    formatAndLayout: string,
    type: string,
    compression: string | undefined,
    events: string[] | undefined,
  ) => {
    const key = [formatAndLayout, type, compression ?? ''].join('/');
    const [format, xmlLayout] = formatAndLayout.split(':');
    if (!done.has(key)) {
      done.set(
        key,
        createExport(system, account, {
          credentialId,
          type,
          format,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          ...(events ? { events } : {}),
          ...(compression ? { compression } : {}),
          ...(xmlLayout ? { xmlLayout } : {}),
        }).then((id) => exportDone(system, account, id)),
      );
    }
    return done.get(key) as Promise<ExportBody>;
  };

  it.each(cases)('%s, %s, compression %s', async (formatAndLayout, type, compression, events) => {
    // Create them all at once so the pipeline works on several exports concurrently.
    for (const c of cases) void exportFor(...c).catch(() => undefined);
    const exported = await exportFor(formatAndLayout, type, compression, events);
    const [format, xmlLayout] = formatAndLayout.split(':');
    const gzip = compression === 'gzip';
    const groups = expectedGroups(type, events);
    const objects = (await gcs.list(bucket)).filter(
      (o) => o.name.startsWith(exported.id) && !o.name.endsWith('-manifest.json'),
    );
    expect(objects.map((o) => o.name).sort()).toEqual(exported.runs[0].files.map((f) => f.name).sort());
    expect(
      new Set(
        objects.map((o) => {
          const p = parseFileName(o.name);
          return type === 'all_profiles' ? p.eventName : `${p.eventName}|${p.day}`;
        }),
      ),
    ).toEqual(new Set(groups.keys()));

    for (const object of objects) {
      const parts = parseFileName(object.name);
      expect(parts.extension).toBe(gzip ? `${format}.gz` : format);
      expect(parts.index).toBe(0);
      const expected = groups.get(
        type === 'all_profiles' ? parts.eventName : `${parts.eventName}|${parts.day}`,
      ) as Record<string, Json>[];
      const downloaded = await gcs.download(bucket, object.name);
      // Every format's files, gzipped or not, carry the CRC32C of the bytes that arrived.
      expect(object.crc32c).toBe(crc32cBase64(crc32c(downloaded)));
      const content = unzipIf(downloaded, gzip);
      const strip = (r: Record<string, Json>) => {
        const { eventName: _n, ...rest } = r;
        return type === 'all_profiles' ? { profile: rest.profile } : rest;
      };

      if (format === 'json') {
        const file = readJsonFile(content);
        expect(file.eventName).toBe(parts.eventName);
        if (type === 'all_profiles')
          for (const r of file.rows as Record<string, Json>[]) expect(String(r.ts)).toMatch(/^\d{14}$/);
        expect(multiset(file.rows.map((r) => strip(r as Record<string, Json>)))).toEqual(multiset(expected.map(strip)));
      }

      if (format === 'csv') {
        const file = await readCsvFile(content);
        const paths = new Set<string>();
        for (const r of expected)
          for (const f of ['profile', 'deviceInfo', 'eventProps'])
            if (r[f] !== undefined) for (const p of leafPaths(r[f], [f])) paths.add(JSON.stringify(p));
        const columns = [
          ['ts'],
          ['eventName'],
          ...[...paths]
            .map((p) => JSON.parse(p) as string[])
            .sort((a, b) => {
              const order = ['profile', 'deviceInfo', 'eventProps'];
              return order.indexOf(a[0]) - order.indexOf(b[0]) || (a.join('\u0000') < b.join('\u0000') ? -1 : 1);
            }),
        ];
        expect(file.header).toEqual(columns.map((c) => c.join('.')));
        const tsColumn = type === 'all_profiles';
        const expectedRows = expected.map((r) =>
          columns.map((c, i) => (i === 0 && tsColumn ? '*' : cell(at(r, c)))).join('\u0001'),
        );
        const actualRows = file.rows.map((r) => r.map((c, i) => (i === 0 && tsColumn ? '*' : c)).join('\u0001'));
        expect(actualRows.sort()).toEqual(expectedRows.sort());
      }

      if (format === 'xml') {
        const file = readXmlFile(content);
        expect(file.root).toBe('Events');
        const rows = file.events.map((e) =>
          type === 'all_profiles' ? { profile: e.profile } : { ...e, eventName: undefined },
        );
        // The documented layout carries text: the expected values as text (ts stays a number).
        const asWritten = (r: Record<string, Json>) =>
          xmlLayout === 'typed'
            ? r
            : Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'ts' ? v : asXmlText(v)]));
        expect(multiset(rows.map((r) => JSON.parse(JSON.stringify(r))))).toEqual(
          multiset(expected.map((r) => xmlSafe(asWritten(strip(r))))),
        );
      }

      if (format === 'parquet') {
        const file = await readParquetFile(content);
        expect(file.codecs).toEqual([{ zstd: 'ZSTD', none: 'UNCOMPRESSED' }[compression ?? ''] ?? 'SNAPPY']);
        expect(file.types.eventName).toBe('VARCHAR');
        expect(file.types.profile).toMatch(/^STRUCT/);
        if (type !== 'all_profiles') {
          expect(file.types.ts).toBe('BIGINT');
          expect(file.types.eventProps).toMatch(/^STRUCT/);
        }
        const rows = file.rows.map((r) =>
          type === 'all_profiles' ? { profile: r.profile } : { ...r, eventName: undefined },
        );
        expect(multiset(rows.map((r) => withoutNulls(JSON.parse(JSON.stringify(r)))))).toEqual(
          multiset(expected.map((r) => withoutNulls(strip(r)))),
        );
      }
    }
  });
});

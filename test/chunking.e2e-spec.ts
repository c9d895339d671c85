import { parseFileName } from '@bulk-export/formats';
import { gcs, TestAccount, TestSystem } from '@bulk-export/testing';
import { createExport, exportDone, produceInWindow, saveCredentials } from './support/exports';
import { readCsvFile, readJsonFile, readParquetFile, readXmlFile, unzipIf } from './support/readers';

/**
 * With a small MAX_FILE_BYTES, every format splits a group into files that never exceed
 * the limit, with contiguous indexes, and together hold every event exactly once.
 */
const LIMIT = 4096;
const COUNT = 400;

describe('chunking at MAX_FILE_BYTES', () => {
  let system: TestSystem;
  let account: TestAccount;
  let bucket: string;
  let credentialId: string;
  let from: number;
  let to: number;

  beforeAll(async () => {
    system = await TestSystem.start({ MAX_FILE_BYTES: String(LIMIT) });
    account = await system.createAccount();
    ({ bucket, credentialId } = await saveCredentials(system, account));
    ({ from, to } = await produceInWindow(
      account.eventsTopic,
      Array.from({ length: COUNT }, (_, i) =>
        JSON.stringify({
          eventName: 'Product Viewed',
          ts: 20261127100000,
          profile: { identity: `u${i}` },
          eventProps: { seq: i, text: `value ${i} `.repeat(1 + (i % 7)) },
        }),
      ),
    ));
  });

  afterAll(async () => {
    await system?.stop();
  });

  it.each([
    ['json', undefined],
    ['json', 'gzip'],
    ['csv', undefined],
    ['xml', undefined],
    ['parquet', undefined],
  ])('%s (compression %s)', async (format, compression) => {
    const id = await createExport(system, account, {
      credentialId,
      type: 'all_events',
      format,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      ...(compression ? { compression } : {}),
    });
    const exported = await exportDone(system, account, id);
    const objects = (await gcs.list(bucket)).filter((o) => o.name.startsWith(id) && !o.name.endsWith('-manifest.json'));
    expect(objects.length).toBeGreaterThan(3);
    const groups = new Map<string, number[]>();
    for (const o of objects) {
      const p = parseFileName(o.name);
      groups.set(`${p.eventName}|${p.day}`, [...(groups.get(`${p.eventName}|${p.day}`) ?? []), p.index]);
    }
    expect([...groups.keys()]).toEqual(['Product Viewed|20261127']);
    for (const indexes of groups.values()) expect(indexes.sort((a, b) => a - b)).toEqual(indexes.map((_, i) => i));
    const seqs: number[] = [];
    for (const o of objects) {
      expect(o.size).toBeLessThanOrEqual(LIMIT);
      const content = unzipIf(await gcs.download(bucket, o.name), compression === 'gzip');
      if (format === 'json')
        seqs.push(...readJsonFile(content).rows.map((r) => (r as { eventProps: { seq: number } }).eventProps.seq));
      if (format === 'csv') {
        const file = await readCsvFile(content);
        const column = file.header.indexOf('eventProps.seq');
        seqs.push(...file.rows.map((r) => Number(r[column])));
      }
      // The documented XML layout writes values as text.
      if (format === 'xml')
        seqs.push(...readXmlFile(content).events.map((e) => Number((e.eventProps as { seq: string }).seq)));
      if (format === 'parquet')
        seqs.push(...(await readParquetFile(content)).rows.map((r) => (r.eventProps as { seq: number }).seq));
    }
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(exported.runs[0].rowsWritten).toBe(COUNT);
  });
});

import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SaxesParser } from 'saxes';

/**
 * Reads exported files back with real parsers, into plain values a test can compare:
 * DuckDB for CSV and Parquet, JSON.parse for JSON Lines, a strict XML 1.0 parser for XML.
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

async function withFile<T>(content: Buffer, name: string, read: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'read-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, content);
    return await read(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function duck<T>(sql: (path: string) => string, content: Buffer, name: string): Promise<T[]> {
  return withFile(content, name, async (path) => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const reader = await c.runAndReadAll(sql(path));
      return reader.getRowsJS() as T[];
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
}

export function unzipIf(content: Buffer, gzip: boolean): Buffer {
  return gzip ? gunzipSync(content) : content;
}

/** JSON Lines: the event name, then one object per line. */
export function readJsonFile(content: Buffer): { eventName: string; rows: Json[] } {
  const lines = content.toString('utf8').split('\n');
  if (lines.pop() !== '') throw new Error('file does not end with a newline');
  return { eventName: JSON.parse(lines[0]) as string, rows: lines.slice(1).map((l) => JSON.parse(l) as Json) };
}

/** CSV through DuckDB's reader, every cell as text; returns the header and the rows. */
export async function readCsvFile(content: Buffer): Promise<{ header: string[]; rows: string[][] }> {
  const header = await duck<unknown[]>(
    (p) =>
      `SELECT * FROM read_csv('${p}', header = false, all_varchar = true, quote = '"', escape = '"', delim = ',', strict_mode = true) LIMIT 1`,
    content,
    'f.csv',
  );
  const rows = await duck<unknown[]>(
    (p) =>
      `SELECT * FROM read_csv('${p}', header = true, all_varchar = true, quote = '"', escape = '"', delim = ',', strict_mode = true, null_padding = false)`,
    content,
    'f.csv',
  );
  return { header: header[0] as string[], rows: rows.map((r) => r.map((c) => (c === null ? '' : String(c)))) };
}

/** Parquet through DuckDB: each row as JSON (structs become objects), plus the column types. */
export async function readParquetFile(
  content: Buffer,
): Promise<{ rows: Record<string, Json>[]; types: Record<string, string>; codecs: string[] }> {
  const rows = await duck<[string]>(
    (p) => `SELECT to_json(t)::VARCHAR FROM read_parquet('${p}') t`,
    content,
    'f.parquet',
  );
  const schema = await duck<[string, string]>(
    (p) => `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${p}'))`,
    content,
    'f.parquet',
  );
  const codecs = await duck<[string]>(
    (p) => `SELECT DISTINCT compression FROM parquet_metadata('${p}') ORDER BY 1`,
    content,
    'f.parquet',
  );
  return {
    rows: rows.map(([j]) => JSON.parse(j) as Record<string, Json>),
    types: Object.fromEntries(schema),
    codecs: codecs.map(([c]) => c),
  };
}

/**
 * XML with a strict parser; turns each <Event> back into a value, following the format's
 * rules: the typed layout (a `type` on every value) gives the JSON types back; the
 * documented layout gives text (numbers and booleans as written, null as ''), objects
 * from named elements and from entries, arrays from items.
 */
export function readXmlFile(content: Buffer): { root: string; events: Record<string, Json>[] } {
  type Node = { name: string; attributes: Record<string, string>; children: Node[]; text: string };
  const parser = new SaxesParser({ xmlns: false });
  const stack: Node[] = [];
  let root: Node | null = null;
  parser.on('opentag', (tag) => {
    const node: Node = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on('text', (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on('closetag', () => void stack.pop());
  parser.on('error', (e) => {
    throw e;
  });
  parser.write(content.toString('utf8')).close();
  const r = root as Node | null;
  if (!r) throw new Error('no root element');

  const value = (node: Node, type: string | undefined): Json => {
    switch (type) {
      case undefined:
        if (node.children.length === 0) return node.text;
        return node.children.every((c) => c.name === 'item')
          ? node.children.map((c) => value(c, c.attributes.type))
          : object(node);
      case 'null':
        return null;
      case 'number':
        return Number(node.text);
      case 'boolean':
        return node.text === 'true';
      case 'string':
        return node.text;
      case 'array':
        return node.children.map((c) => value(c, c.attributes.type));
      case 'object':
        return object(node);
      default:
        throw new Error(`unknown type ${type}`);
    }
  };
  const object = (node: Node): { [k: string]: Json } =>
    Object.fromEntries(
      node.children.map((child) => {
        if (child.name !== 'entry') return [child.name, value(child, undefined)];
        const key = child.children.find((c) => c.name === 'key') as Node;
        const v = child.children.find((c) => c.name === 'value') as Node;
        return [key.text, value(v, v.attributes.type)];
      }),
    );
  const events = r.children.map((event) => {
    const out: Record<string, Json> = {};
    for (const child of event.children) {
      if (child.name === 'ts') out.ts = /^-?\d+(\.\d+)?$/.test(child.text) ? Number(child.text) : child.text;
      else if (child.name === 'eventName') out.eventName = child.text;
      else if (child.name === 'deleted') out.deleted = child.text === 'true';
      else out[child.name] = object(child);
    }
    return out;
  });
  return { root: r.name, events };
}

/**
 * A value as the documented XML layout writes it, read back as text: numbers and booleans as written, null and empty
 * containers as ''.
 */
export function asXmlText(v: unknown): Json {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.length ? v.map(asXmlText) : '';
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length ? Object.fromEntries(entries.map(([k, x]) => [k, asXmlText(x)])) : '';
}

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A realistic, reproducible event stream for load tests and the benchmark: several event
 * names with their own property sets (10–40 properties of mixed types: strings, numbers,
 * booleans, nulls, nested objects, arrays), profiles and device info, over `days` days,
 * about 500 bytes a message. Deterministic for a given seed.
 */
export interface EventFileOptions {
  count: number;
  days: number;
  eventNames: number;
  seed: number;
  /** Last day of the events, as yyyymmdd. */
  lastDay: string;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'App Launched',
  'Charged',
  'Product Viewed',
  'Added To Cart',
  'Search',
  'Notification Clicked',
  'App Uninstalled',
  'Page-View/Home',
  'Signed Up',
  'Rated',
];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'Ünïcødé', 'quote"d', 'a,b', '<tag>', 'plain', 'x'];

export async function writeEventFile(path: string, options: EventFileOptions): Promise<{ bytes: number }> {
  const random = rng(options.seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const names = NAMES.slice(0, Math.max(1, Math.min(NAMES.length, options.eventNames)));
  // Each event name has its own property schema (names and kinds), as real products do.
  const schemas = names.map(() => {
    const n = 10 + Math.floor(random() * 31);
    return Array.from({ length: n }, (_, i) => ({ key: `prop_${i}`, kind: Math.floor(random() * 6) }));
  });
  const last = Date.UTC(+options.lastDay.slice(0, 4), +options.lastDay.slice(4, 6) - 1, +options.lastDay.slice(6, 8));
  const out = createWriteStream(path);
  let bytes = 0;
  let buffer = '';
  for (let i = 0; i < options.count; i++) {
    const e = Math.floor(random() * names.length);
    const props: Record<string, unknown> = {};
    for (const { key, kind } of schemas[e]) {
      switch (kind) {
        case 0:
          props[key] = pick(WORDS);
          break;
        case 1:
          props[key] = Math.floor(random() * 100000);
          break;
        case 2:
          props[key] = Math.round(random() * 10000) / 100;
          break;
        case 3:
          props[key] = random() < 0.5;
          break;
        case 4:
          props[key] = random() < 0.3 ? null : pick(WORDS);
          break;
        default:
          props[key] = random() < 0.5 ? { nested: pick(WORDS), n: i % 97 } : [1, pick(WORDS)];
      }
    }
    const t = new Date(last - Math.floor(random() * options.days) * 86_400_000 + Math.floor(random() * 86_400_000));
    const ts = Number(t.toISOString().slice(0, 19).replace(/[-:T]/g, ''));
    const event = {
      eventName: names[e],
      ts,
      profile: { identity: `user-${Math.floor(random() * 100000)}`, platform: pick(['Android', 'iOS', 'Web']) },
      deviceInfo: {
        make: pick(['Google', 'Apple', 'Samsung']),
        model: pick(['Pixel 8', 'iPhone 15', 'S24']),
        appVersion: '5.2.1',
      },
      eventProps: props,
    };
    const line = JSON.stringify(event) + '\n';
    buffer += line;
    bytes += Buffer.byteLength(line);
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  return { bytes };
}

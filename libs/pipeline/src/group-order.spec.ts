import { GroupOrder, groupHash } from './group-order';

describe('GroupOrder', () => {
  /** Lines `<name>|<day>|<n>\n` of the given groups, the GroupOrder of them, and the bytes. */
  function lines(groups: [string, string][]): { order: GroupOrder; bytes: Buffer; keyed: [Buffer, string, string][] } {
    const order = new GroupOrder();
    const parts: Buffer[] = [];
    const keyed: [Buffer, string, string][] = [];
    let at = 0;
    groups.forEach(([name, day], n) => {
      const line = Buffer.from(`${name}|${day}|${n}\n`);
      const nameBytes = Buffer.from(name);
      order.add(at, line, 0, nameBytes.length, nameBytes.length + 1);
      parts.push(line);
      keyed.push([nameBytes, day, line.toString()]);
      at += line.length;
    });
    return { order, bytes: Buffer.concat(parts), keyed };
  }

  /** Staging's order: name bytes, then day, then as they came. */
  const sorted = (keyed: [Buffer, string, string][]) =>
    keyed
      .map((k, i) => ({ k, i }))
      .sort((a, b) => Buffer.compare(a.k[0], b.k[0]) || a.k[1].localeCompare(b.k[1]) || a.i - b.i)
      .map(({ k }) => k[2])
      .join('');

  function arranged(order: GroupOrder, bytes: Buffer): string {
    const target = Buffer.alloc(bytes.length);
    order.arrange(bytes, bytes.length, target);
    return target.toString();
  }

  it('arranges lines by name bytes, then day, each group in the order its lines came', () => {
    // Prefixes, a space and a dash (below letters), UTF-8 whose byte order is not UTF-16's (U+FF5E before U+1F600).
    const names = ['a', 'ab', 'a b', 'a-b', 'B', 'é', '\uff5e', '\u{1f600}', 'Page-View/Home', 'zz'];
    const days = ['20261130', '20261201', '20250101'];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const groups = Array.from(
      { length: 2000 },
      () => [names[random(names.length)], days[random(3)]] as [string, string],
    );
    const { order, bytes, keyed } = lines(groups);
    expect(order.known).toBe(true);
    expect(order.size).toBe(2000);
    const text = arranged(order, bytes);
    expect(text).toBe(sorted(keyed));
    // Byte order: U+FF5E (ef bd 9e) before U+1F600 (f0 9f 98 80), which UTF-16 order would swap.
    expect(text.indexOf('\uff5e|')).toBeLessThan(text.indexOf('\u{1f600}|'));
    expect(text.indexOf('a|')).toBeLessThan(text.indexOf('a b|'));
  });

  it('keeps apart two groups whose keys hash alike', () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; !pair; i++) {
      const name = `n${i}`;
      const bytes = Buffer.from(`${name}|20261201`);
      const hash = groupHash(bytes, 0, name.length, name.length + 1);
      const other = seen.get(hash);
      if (other !== undefined) pair = [other, name];
      else seen.set(hash, name);
    }
    const [first, second] = pair;
    const { order, bytes, keyed } = lines([
      [second, '20261201'],
      [first, '20261201'],
      [second, '20261201'],
      [first, '20261201'],
      [first, '20261130'],
    ]);
    expect(arranged(order, bytes)).toBe(sorted(keyed));
  });

  it('refuses to arrange a slice with a line of unknown group, and starts over after a reset', () => {
    const { order, bytes } = lines([
      ['b', '20261201'],
      ['a', '20261201'],
    ]);
    order.addUnknown(bytes.length);
    expect(order.known).toBe(false);
    expect(() => order.arrange(bytes, bytes.length, Buffer.alloc(bytes.length))).toThrow('not known');
    order.reset();
    expect(order.known).toBe(true);
    expect(order.size).toBe(0);
    const line = Buffer.from('x|20261201|0\n');
    order.add(0, line, 0, 1, 2);
    expect(arranged(order, line)).toBe('x|20261201|0\n');
  });

  it('keeps lines whole through its arrays growing', () => {
    const groups = Array.from({ length: 5000 }, (_, n) => [n % 3 ? 'odd' : 'even', '20261201'] as [string, string]);
    const { order, bytes, keyed } = lines(groups);
    expect(arranged(order, bytes)).toBe(sorted(keyed));
  });

  it('writes JSON lines from their cut in group order, and says where each group is', () => {
    const order = new GroupOrder();
    // Lines `<head>|{"eventName":"<name>","ts":<day>…}\n`: the JSON line starts at the comma after the name.
    const events: [string, string][] = [
      ['b', '20261201'],
      ['a', '20261202'],
      ['b', '20261201'],
      ['a', '20261201'],
      ['a', '20261202'],
    ];
    const parts: Buffer[] = [];
    let at = 0;
    events.forEach(([name, day], n) => {
      const body = Buffer.from(`{"eventName":"${name}","ts":${day}1200${n}0}`);
      const line = Buffer.concat([Buffer.from(`${n}|`), body, Buffer.from('\n')]);
      const bodyAt = at + line.length - 1 - body.length;
      const cut = body.indexOf(',') + 1;
      const nameStart = 14;
      order.add(at, body, nameStart, nameStart + name.length, body.indexOf(':', nameStart) + 1, bodyAt + cut - 1);
      parts.push(line);
      at += line.length;
    });
    expect(order.linesKnown).toBe(true);
    const source = Buffer.concat(parts);
    const target = Buffer.alloc(source.length);
    const groups = order.arrangeLines(source, source.length, target, true);
    const text = (g: { start: number; end: number }) => target.toString('utf8', g.start, g.end);
    expect(groups.map((g) => [g.eventName, g.day, g.rows, text(g)])).toEqual([
      ['a', '20261201', 1, '{"ts":20261201120030}\n'],
      ['a', '20261202', 2, '{"ts":20261202120010}\n{"ts":20261202120040}\n'],
      ['b', '20261201', 2, '{"ts":20261201120000}\n{"ts":20261201120020}\n'],
    ]);
    // End to end from 0, and every line's bytes from its cut on, `{` in place of the comma.
    expect(groups[0].start).toBe(0);
    for (let g = 1; g < groups.length; g++) expect(groups[g].start).toBe(groups[g - 1].end);
    expect(groups[2].end).toBe(
      source.length - events.reduce((n, [name], k) => n + `${k}|{"eventName":"${name}",`.length - 1, 0),
    );
    // A line without its JSON line: no lines for the slice.
    order.add(at, Buffer.from('x|20261201'), 0, 1, 2);
    expect(order.known).toBe(true);
    expect(order.linesKnown).toBe(false);
    expect(() => order.arrangeLines(source, source.length, target, true)).toThrow('not known');
  });
});

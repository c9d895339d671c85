import { EventScanner, isDayTime } from './event-scan';
import { random as seededRandom } from '../seeded-random.spec-helper';

describe('EventScanner', () => {
  const scanner = new EventScanner();
  const scan = (text: string) => {
    const bytes = Buffer.from(text);
    if (!scanner.scan(bytes)) return null;
    const { nameStart, nameEnd, tsStart, tsEnd, cut, tsIsDay } = scanner;
    return {
      name: bytes.toString('utf8', nameStart, nameEnd),
      ts: tsStart < 0 ? null : bytes.toString('utf8', tsStart, tsEnd),
      cut,
      tsIsDay,
    };
  };

  it('finds the name, ts and the JSON cut of a plain event', () => {
    expect(scan('{"eventName":"Page-View/Home","ts":20260101120000,"eventProps":{"a":[1,{"b":null}]}}')).toEqual({
      name: 'Page-View/Home',
      ts: '20260101120000',
      cut: '{"eventName":"Page-View/Home",'.length,
      tsIsDay: true,
    });
    expect(scan('{"eventName":"é","ts":"1767225600000"}')).toEqual({
      name: 'é',
      ts: '1767225600000',
      cut: Buffer.byteLength('{"eventName":"é",'),
      tsIsDay: false,
    });
    // Not the JSON format's shape: no cut.
    expect(scan('{"eventName":"a","x":1}')?.cut).toBe(0);
    expect(scan('{"eventName":"a","eventProps":{},"ts":1}')?.cut).toBe(0);
    expect(scan('{ "eventName":"a","ts":1}')?.cut).toBe(0);
    expect(scan('{"eventName":"a" ,"ts":1}')?.cut).toBe(0);
    expect(scan('{"ts":1,"eventName":"a"}')).toEqual({ name: 'a', ts: '1', cut: 0, tsIsDay: false });
  });

  it('leaves to SQL what it does not settle exactly as DuckDB does', () => {
    for (const text of [
      'not json',
      '[1]',
      '{}',
      '{"eventName":1}',
      '{"eventName":"a","eventName":"b"}',
      '{"event\\u004eame":"a"}',
      '{"eventName":"a\\"b"}',
      '{"eventName":"a","ts":1.5}',
      '{"eventName":"a","ts":-0}',
      '{"eventName":"a","ts":1234567890123456789}',
      '{"eventName":"a","profile":[]}',
      '{"eventName":"a","x":NaN}',
      '{"eventName":"a","x":[1,]}',
      '{"eventName":"a",}',
      '{"eventName":"a","x":"\\ud800"}',
      '{"eventName":"a","x":"a\tb"}',
      '{"eventName":"a"} 1',
      `{"eventName":"a","x":${'['.repeat(600)}${']'.repeat(600)}}`,
    ]) {
      expect([text, scan(text)]).toEqual([text, null]);
    }
  });

  it('reads a day from ts exactly as eventDaySql does', () => {
    const pattern = /^(19|20|21)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d[0-5]\d$/;
    const random = seededRandom(7);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
    const samples = [
      '20260101120000',
      '19991231235959',
      '21000229240000',
      '20261301120000',
      '20260100120000',
      '20260132120000',
      '2026010112000',
      '2026010112000a',
      '22000101000000',
      '18991231235959',
    ];
    for (let i = 0; i < 20000; i++)
      samples.push(
        `${['19', '20', '21', '22'][i % 4]}${digits(2)}${String(i % 14).padStart(2, '0')}${String(i % 33).padStart(2, '0')}${String(i % 25).padStart(2, '0')}${digits(4)}`,
      );
    for (const text of samples) {
      const bytes = Buffer.from(text);
      expect([text, isDayTime(bytes, 0, bytes.length)]).toEqual([text, pattern.test(text)]);
    }
  });
});

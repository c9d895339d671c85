import { decodeEventName, encodeEventName } from './event-name';
import { fileName, formatRunTime, manifestName, parseFileName, parseRunTime } from './file-name';

describe('encodeEventName', () => {
  it.each([
    ['Charged', 'Charged'],
    ['App Launched', 'App Launched'],
    ['a-b/c', 'a%2Db%2Fc'],
    ['../../etc', '%2E%2E%2F%2E%2E%2Fetc'],
    ['100%', '100%25'],
    ['tab\there\n', 'tab%09here%0A'],
    ['Überweisung 💸', '%C3%9Cberweisung %F0%9F%92%B8'],
  ])('%p → %p and back', (name, encoded) => {
    expect(encodeEventName(name)).toBe(encoded);
    expect(decodeEventName(encoded)).toBe(name);
  });
  it('never yields a dash, slash, dot or control character', () => {
    let all = '';
    for (let c = 0; c < 0x250; c++) all += String.fromCharCode(c);
    expect(encodeEventName(all)).toMatch(/^[A-Za-z0-9 _%]*$/);
    expect(decodeEventName(encodeEventName(all))).toBe(all);
  });
  it('refuses what it could not have produced', () => {
    expect(() => decodeEventName('a-b')).toThrow();
    expect(() => decodeEventName('%zz')).toThrow();
  });
});

describe('fileName', () => {
  const parts = {
    requestId: '01JDQ7Z8X9K2M3N4P5Q6R7S8T9',
    runTime: new Date(Date.UTC(2026, 10, 28, 22, 15, 0)),
    eventName: 'Add-To/Cart',
    day: '20261127',
    index: 3,
    databaseId: 'db_42',
    extension: 'csv.gz',
  };
  it('has six dash-separated fields whatever the event name', () => {
    const name = fileName(parts);
    expect(name).toBe('01JDQ7Z8X9K2M3N4P5Q6R7S8T9-20261128T221500Z-Add%2DTo%2FCart-20261127-3-db_42.csv.gz');
    expect(parseFileName(name)).toEqual(parts);
  });
  it('keeps milliseconds of the run time', () => {
    const t = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67));
    expect(formatRunTime(t)).toBe('20260102T030405.067Z');
    expect(parseRunTime(formatRunTime(t))).toEqual(t);
  });
  it('names the manifest after the request and run', () => {
    expect(manifestName(parts.requestId, parts.runTime)).toBe(
      '01JDQ7Z8X9K2M3N4P5Q6R7S8T9-20261128T221500Z-manifest.json',
    );
  });
});

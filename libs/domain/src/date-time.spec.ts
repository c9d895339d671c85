import { parseDateTime } from './date-time';

describe('parseDateTime', () => {
  it.each([
    ['2026-11-28T10:00:00Z', Date.UTC(2026, 10, 28, 10)],
    ['2026-11-28t10:00:00z', Date.UTC(2026, 10, 28, 10)],
    ['2026-11-28T10:00:00.5Z', Date.UTC(2026, 10, 28, 10, 0, 0, 500)],
    ['2026-11-28T10:00:00.123456789Z', Date.UTC(2026, 10, 28, 10, 0, 0, 123)],
    ['2026-11-28T12:30:00+02:30', Date.UTC(2026, 10, 28, 10)],
    ['2026-11-28T05:00:00-05:00', Date.UTC(2026, 10, 28, 10)],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['0099-01-01T00:00:00Z', -59042995200000],
  ])('reads %s', (text, instant) => {
    expect(parseDateTime(text)).toBe(instant);
  });

  it('reads what toISOString writes', () => {
    const now = Date.now();
    expect(parseDateTime(new Date(now).toISOString())).toBe(now);
  });

  it.each([
    // ISO 8601 forms that class-validator's IsISO8601 accepts and Date.parse cannot read.
    '2026-W48-1',
    '2026-330',
    '20261128T100000Z',
    '2026-11-28T10Z',
    '2026-11-28T10:00:00,5Z',
    // No offset: the instant would depend on the reader's time zone.
    '2026-11-28T10:00:00',
    '2026-11-28',
    '2026-11-28 10:00:00Z',
    '2026-11-28T10:00Z',
    '2026-02-30T00:00:00Z',
    '2027-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-28T24:00:00Z',
    '2026-11-28T10:60:00Z',
    '2026-12-31T23:59:60Z',
    '2026-11-28T10:00:00+24:00',
    '2026-11-28T10:00:00+0200',
    '+002026-11-28T10:00:00Z',
    ' 2026-11-28T10:00:00Z',
    'yesterday',
    '',
  ])('refuses %j', (text) => {
    expect(parseDateTime(text)).toBeNull();
  });
});

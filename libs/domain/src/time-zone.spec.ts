import { InvalidField } from './errors';
import { checkTimeZone, timeZoneName } from './time-zone';

describe('timeZoneName', () => {
  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['europe/berlin', 'Europe/Berlin'],
    ['UTC', 'UTC'],
    ['America/New_York', 'America/New_York'],
  ])('reads %s as %s', (text, name) => {
    expect(timeZoneName(text)).toBe(name);
  });

  it.each(['Europe/Berln', '+02:00', '-05:00', 'GMT+2', '', ' UTC', 'Mars/Olympus'])('refuses %j', (text) => {
    expect(timeZoneName(text)).toBeNull();
  });

  it('names the field when it refuses', () => {
    expect(() => checkTimeZone('Europe/Berln')).toThrow(InvalidField);
    expect(() => checkTimeZone('Europe/Berln')).toThrow('time zone "Europe/Berln" is not known');
  });
});

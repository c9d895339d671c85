import { addEvent, compressionsFor, emptyForm, exportRequest } from './export-form';
import { credentialHint, formatBytes, fromLocalInput, statusLabel } from './format';

const utc = (local: string) => fromLocalInput(`${local}`);

describe('exportRequest', () => {
  it('sends a one-time window as RFC 3339 and nothing of the advanced options left empty', () => {
    const body = exportRequest(
      { ...emptyForm(), credentialId: 'C1', from: '2026-11-30T10:00:00', to: '2026-11-30T11:00:00' },
      (v) => `${v}Z`,
    );
    expect(body).toEqual({
      partner: 'gcp',
      credentialId: 'C1',
      type: 'all_events',
      frequency: 'one_time',
      format: 'json',
      from: '2026-11-30T10:00:00Z',
      to: '2026-11-30T11:00:00Z',
    });
  });

  it('sends a recurring interval as a number, the start only when given, and each advanced option only when set', () => {
    const form = {
      ...emptyForm(),
      credentialId: 'C1',
      type: 'all_profiles',
      frequency: 'recurring' as const,
      intervalHours: '6',
      format: 'xml',
      compression: 'gzip',
      prefix: ' exports/ ',
      maxFileMb: '10',
      xmlLayout: 'typed',
      profileMode: 'snapshot',
    };
    expect(exportRequest(form, utc)).toEqual({
      partner: 'gcp',
      credentialId: 'C1',
      type: 'all_profiles',
      frequency: 'recurring',
      format: 'xml',
      intervalHours: 6,
      compression: 'gzip',
      prefix: 'exports/',
      maxFileMb: 10,
      xmlLayout: 'typed',
      profileMode: 'snapshot',
    });
  });

  it('sends the picked events for select_events only, and what the browser cannot read as typed, for the API to name', () => {
    const form = {
      ...emptyForm(),
      type: 'select_events',
      events: addEvent(addEvent(['Charged'], ' App Launched '), 'Charged'),
      from: 'yesterday',
      to: '',
    };
    const body = exportRequest(form, () => null);
    expect(body.events).toEqual(['Charged', 'App Launched']);
    expect([body.from, body.to]).toEqual(['yesterday', '']);
    expect('events' in exportRequest({ ...form, type: 'all_events' }, () => null)).toBe(false);
  });
});

describe('console formatting', () => {
  it('reads statuses, sizes and compressions as a person would', () => {
    expect(['done', 'pending', 'paused', 'some_new'].map(statusLabel)).toEqual([
      'Done',
      'Pending',
      'Paused',
      'Some new',
    ]);
    expect([0, 1536, 5 * 1024 * 1024].map(formatBytes)).toEqual(['0 B', '1.5 KB', '5.0 MB']);
    expect(compressionsFor('parquet').map((c) => c.value)).toEqual(['', 'zstd', 'none']);
    expect(compressionsFor('csv').map((c) => c.value)).toEqual(['', 'gzip']);
    expect(fromLocalInput('not a date')).toBeNull();
  });

  it('gives the reference dashboard hints for credentials errors', () => {
    expect(credentialHint('bucket_not_found')).toMatch(/bucket names must match exactly/);
    expect(credentialHint('invalid_service_key')).toMatch(/Generate the service account key again/);
  });
});

import { stagingLocation, stagingObjectPrefix } from './staging-store';

describe('staging location', () => {
  it('reads a bucket with or without a prefix, a folder, or falls back to STAGING_DIR', () => {
    expect(stagingLocation('gs://ops-staging/bulk-export/', '/tmp/s')).toEqual({
      kind: 'bucket',
      bucket: 'ops-staging',
      prefix: 'bulk-export/',
    });
    expect(stagingLocation('gs://ops-staging/bulk-export', '/tmp/s')).toEqual({
      kind: 'bucket',
      bucket: 'ops-staging',
      prefix: 'bulk-export/',
    });
    expect(stagingLocation('gs://ops-staging', '/tmp/s')).toEqual({
      kind: 'bucket',
      bucket: 'ops-staging',
      prefix: '',
    });
    expect(stagingLocation('file:///var/staging', '/tmp/s')).toEqual({ kind: 'folder', root: '/var/staging' });
    expect(stagingLocation('', '/tmp/s')).toEqual({ kind: 'folder', root: '/tmp/s' });
    expect(() => stagingLocation('s3://x', '/tmp/s')).toThrow(/STAGING_URI/);
  });

  it("names a run's objects by run, attempt and claim, so a stale worker's stay apart", () => {
    expect(stagingObjectPrefix('p/', 'RUN', 2, 'CLAIM')).toBe('p/RUN/attempt-2-CLAIM/');
    expect(stagingObjectPrefix('', 'RUN')).toBe('RUN/');
  });
});

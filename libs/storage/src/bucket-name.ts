import { InvalidBucketName } from '@bulk-export/domain';

/**
 * Google Cloud Storage's naming rules for buckets: 3–63 characters (up to 222 with dots,
 * each dot-separated part at most 63), lowercase letters, digits, `-`, `_` and `.`,
 * starting and ending with a letter or digit, not an IP address, not starting with
 * "goog" and not containing "google".
 */
export function checkBucketName(name: string): string {
  const problem = bucketNameProblem(name);
  if (problem) throw new InvalidBucketName(`bucket name \`${name}\` is not valid: ${problem}`, 'bucket');
  return name;
}

function bucketNameProblem(name: string): string | null {
  const max = name.includes('.') ? 222 : 63;
  if (name.length < 3 || name.length > max) return `it must be 3 to ${max} characters long`;
  if (/[A-Z]/.test(name)) return 'bucket names are lowercase';
  if (!/^[a-z0-9._-]+$/.test(name)) return 'only lowercase letters, digits, "-", "_" and "." are allowed';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'it must start and end with a letter or digit';
  if (name.split('.').some((part) => part.length === 0 || part.length > 63))
    return 'each dot-separated part must be 1 to 63 characters';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'it must not look like an IP address';
  if (name.startsWith('goog') || name.includes('google') || name.includes('g00gle'))
    return 'it must not start with "goog" or contain "google"';
  return null;
}

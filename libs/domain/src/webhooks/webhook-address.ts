import { isIPv4, isIPv6 } from 'node:net';

/**
 * Where a webhook may be sent. A customer's endpoint must be a public address: not this
 * machine, not a private network, not the cloud's metadata service. These rules are applied
 * when an endpoint is registered and again to the addresses its name resolves to when each
 * delivery is sent (so a name that later resolves elsewhere, DNS rebinding, gets nothing).
 * Hosts named by the operator's allow-list (WEBHOOK_ALLOWED_HOSTS) skip them.
 */

type Range4 = [base: number, bits: number, why: string];

const V4_RANGES: Range4[] = [
  [ip4(0, 0, 0, 0), 8, 'an unspecified ("this network") address'],
  [ip4(10, 0, 0, 0), 8, 'a private address'],
  [ip4(100, 64, 0, 0), 10, 'a carrier-grade NAT (shared) address'],
  [ip4(127, 0, 0, 0), 8, 'a loopback address'],
  [ip4(169, 254, 0, 0), 16, 'a link-local address (where cloud metadata services live)'],
  [ip4(172, 16, 0, 0), 12, 'a private address'],
  [ip4(192, 0, 0, 0), 24, 'an IETF protocol address'],
  [ip4(192, 0, 2, 0), 24, 'a documentation address'],
  [ip4(192, 168, 0, 0), 16, 'a private address'],
  [ip4(198, 18, 0, 0), 15, 'a benchmarking address'],
  [ip4(198, 51, 100, 0), 24, 'a documentation address'],
  [ip4(203, 0, 113, 0), 24, 'a documentation address'],
  [ip4(224, 0, 0, 0), 4, 'a multicast address'],
  [ip4(240, 0, 0, 0), 4, 'a reserved or broadcast address'],
];

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function parse4(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return ip4(a, b, c, d);
}

function reason4(value: number): string | null {
  for (const [base, bits, why] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((value & mask) >>> 0 === base) return why;
  }
  return null;
}

/** The 16 bytes of an IPv6 address (already known valid), a zone id (`%eth0`) ignored. */
function parse6(text: string): number[] {
  let address = text.split('%')[0].toLowerCase();
  const words: number[] = [];
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) is two words.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    const v = parse4(dotted[1]);
    address = `${address.slice(0, -dotted[1].length)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headWords = head ? head.split(':').map((w) => parseInt(w, 16)) : [];
  const tailWords = tail ? tail.split(':').map((w) => parseInt(w, 16)) : [];
  words.push(...headWords, ...new Array<number>(8 - headWords.length - tailWords.length).fill(0), ...tailWords);
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

function reason6(bytes: number[]): string | null {
  const zeroUpTo = (n: number) => bytes.slice(0, n).every((b) => b === 0);
  const embedded4 = (from: number) => ip4(bytes[from], bytes[from + 1], bytes[from + 2], bytes[from + 3]);
  if (zeroUpTo(16)) return 'an unspecified address';
  if (zeroUpTo(15) && bytes[15] === 1) return 'a loopback address';
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return 'an IPv4-mapped IPv6 address';
  if (zeroUpTo(12)) return 'an IPv4-compatible IPv6 address';
  if (
    bytes[0] === 0x00 &&
    bytes[1] === 0x64 &&
    bytes[2] === 0xff &&
    bytes[3] === 0x9b &&
    bytes.slice(4, 12).every((b) => b === 0)
  ) {
    const inner = reason4(embedded4(12));
    if (inner) return `a NAT64 address of ${inner}`;
  }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) {
    const inner = reason4(embedded4(2));
    if (inner) return `a 6to4 address of ${inner}`;
  }
  if ((bytes[0] & 0xfe) === 0xfc) return 'a unique-local (private) address';
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) return 'a link-local address';
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0xc0) return 'a site-local address';
  if (bytes[0] === 0xff) return 'a multicast address';
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8)
    return 'a documentation address';
  return null;
}

/** Why a webhook must not be sent to IP address `address` (IPv4 or IPv6 text), or null when it may. */
export function forbiddenAddressReason(address: string): string | null {
  if (isIPv4(address)) return reason4(parse4(address));
  if (isIPv6(address.split('%')[0])) return reason6(parse6(address));
  return 'not an IP address';
}

/**
 * A URL's host as compared with the rules and the allow-list: lower case, an IPv6 literal without its brackets, a name
 * without the root's trailing dot.
 */
export function webhookHost(url: URL): string {
  return url.hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.+$/, '');
}

/** The operator's allow-list, parsed: comma-separated host names or IP addresses. */
export function parseAllowedHosts(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1'),
    )
    .filter((h) => h.length > 0);
}

export type WebhookUrlCheck =
  { ok: true; url: URL; host: string; allowListed: boolean } | { ok: false; message: string };

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Whether `text` may be registered as a webhook URL, without resolving it: an absolute
 * `https` URL with no credentials in it, whose host is not a forbidden IP address or
 * `localhost`. A host on the allow-list may be anything, and may use plain `http`.
 * Names are resolved and checked separately (at registration and at each delivery).
 */
export function checkWebhookUrl(text: string, allowedHosts: readonly string[]): WebhookUrlCheck {
  if (text.length > MAX_WEBHOOK_URL_LENGTH)
    return { ok: false, message: `url must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'url must be an absolute https URL' };
  }
  const host = webhookHost(url);
  const allowListed = allowedHosts.includes(host);
  if (url.protocol !== 'https:' && !(allowListed && url.protocol === 'http:'))
    return { ok: false, message: 'url must use https' };
  if (url.username || url.password) return { ok: false, message: 'url must not contain a user name or password' };
  if (!host) return { ok: false, message: 'url must name a host' };
  if (allowListed) return { ok: true, url, host, allowListed };
  if (host === 'localhost' || host.endsWith('.localhost'))
    return { ok: false, message: `url must not point at this machine (${host})` };
  if (isIPv4(host) || isIPv6(host)) {
    const why = forbiddenAddressReason(host);
    if (why) return { ok: false, message: `url must be a public address: ${host} is ${why}` };
  }
  return { ok: true, url, host, allowListed };
}

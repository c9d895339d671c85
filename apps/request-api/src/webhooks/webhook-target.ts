import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { checkWebhookUrl, forbiddenAddressReason } from '@bulk-export/domain';

/**
 * Where one delivery goes: the URL, and the address checked for it that the connection must use (none for an
 * allow-listed host).
 */
export interface WebhookTarget {
  url: URL;
  pinned: { address: string; family: number } | null;
}

/** A webhook URL that may not be sent to (now); the message is for the customer. */
export class WebhookTargetRefused extends Error {}

/**
 * Resolves a webhook URL for a delivery (or a registration) and checks every address its
 * host resolves to, now: a name that resolves to a private address, even among public
 * ones, is refused. The delivery then connects to the address checked here, so a second
 * resolution cannot hand it another one (DNS rebinding). Allow-listed hosts are not checked.
 */
export async function resolveWebhookTarget(text: string, allowedHosts: readonly string[]): Promise<WebhookTarget> {
  const check = checkWebhookUrl(text, allowedHosts);
  if (!check.ok) throw new WebhookTargetRefused(check.message);
  if (check.allowListed) return { url: check.url, pinned: null };
  if (isIP(check.host)) return { url: check.url, pinned: { address: check.host, family: isIP(check.host) } };
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(check.host, { all: true, verbatim: true });
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    throw new WebhookTargetRefused(`url: its host ${check.host} could not be resolved (${code})`);
  }
  if (addresses.length === 0) throw new WebhookTargetRefused(`url: its host ${check.host} could not be resolved`);
  for (const a of addresses) {
    const why = forbiddenAddressReason(a.address);
    if (why)
      throw new WebhookTargetRefused(`url must be a public address: ${check.host} resolves to ${a.address}, ${why}`);
  }
  return { url: check.url, pinned: addresses[0] };
}

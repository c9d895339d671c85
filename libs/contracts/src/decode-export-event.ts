import { createHash } from 'node:crypto';
import { Decoded, decodeMessage } from './decode';
import { ExportEvent } from './messages';

/** A message of the events topic as a follower of status changes sees it. */
export interface HeardExportEvent {
  /** The status change; null for the topic's other messages (answers to commands). */
  event: ExportEvent | null;
  /**
   * The same for every copy of the message: the outbox publishes at least once, and each
   * copy carries the same bytes (`evt_` and 32 hex digits of their SHA-256).
   */
  id: string;
}

/** Decodes a message of the events topic for a follower of export-status changes. */
export function decodeExportEvent(bytes: Buffer | null | undefined): Decoded<HeardExportEvent> {
  let type: unknown;
  try {
    type = (JSON.parse(bytes?.toString('utf8') ?? '') as { type?: unknown })?.type;
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const id = `evt_${createHash('sha256')
    .update(bytes ?? Buffer.alloc(0))
    .digest('hex')
    .slice(0, 32)}`;
  if (type !== ExportEvent.type) return { ok: true, value: { event: null, id } };
  const decoded = decodeMessage(ExportEvent, bytes);
  return decoded.ok ? { ok: true, value: { event: decoded.value, id } } : decoded;
}

import { Decoded, decodeMessage } from './decode';
import {
  CreateExportCommand,
  CreateWebhookCommand,
  DeleteWebhookCommand,
  ExportCommand,
  ResumeExportCommand,
  StopExportCommand,
} from './messages';

/** Decodes a message of the command topic by its `type`. */
export function decodeExportCommand(bytes: Buffer | null | undefined): Decoded<ExportCommand> {
  let type: unknown;
  try {
    type = (JSON.parse(bytes?.toString('utf8') ?? '') as { type?: unknown })?.type;
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (type === 'create-export') return decodeMessage(CreateExportCommand, bytes);
  if (type === 'stop-export') return decodeMessage(StopExportCommand, bytes);
  if (type === 'resume-export') return decodeMessage(ResumeExportCommand, bytes);
  if (type === 'create-webhook') return decodeMessage(CreateWebhookCommand, bytes);
  if (type === 'delete-webhook') return decodeMessage(DeleteWebhookCommand, bytes);
  return {
    ok: false,
    reason: 'type: must be "create-export", "stop-export", "resume-export", "create-webhook" or "delete-webhook"',
  };
}

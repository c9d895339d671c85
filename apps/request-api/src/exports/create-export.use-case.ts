import { Inject, Injectable } from '@nestjs/common';
import { exportStatusEvent, Topics } from '@bulk-export/contracts';
import {
  checkOneTimeWindow,
  checkRecurringStart,
  Conflict,
  DATE_TIME_FORMAT,
  ExportCompression,
  ExportFormat,
  ExportFrequency,
  ExportType,
  InvalidField,
  newId,
  NotFound,
  checkPrefix,
  parseDateTime,
  ProfileMode,
  XmlLayout,
} from '@bulk-export/domain';
import { TOPICS } from '@bulk-export/messaging';
import { CredentialsRepository, Export, ExportsRepository } from '@bulk-export/persistence';

export interface CreateExport {
  accountId: string;
  credentialId: string;
  type: ExportType;
  events?: string[];
  frequency: ExportFrequency;
  from?: string;
  to?: string;
  intervalHours?: number;
  startAt?: string;
  format: ExportFormat;
  compression?: ExportCompression;
  prefix?: string;
  maxFileMb?: number;
  xmlLayout?: XmlLayout;
  profileMode?: ProfileMode;
  /** From an internal service's command: creating twice with the same key creates one export. */
  idempotencyKey?: string;
}

/**
 * Creates an export after the product's rules: the credentials belong to the account, a
 * one-time window (or a recurring start) lies inside the last 45 days, the compression
 * fits the format, and no one-time profile export runs while a recurring one is scheduled.
 * The scheduler picks it up from there. REST and the Kafka command topic both call this.
 */
@Injectable()
export class CreateExportUseCase {
  constructor(
    private readonly exports: ExportsRepository,
    private readonly credentials: CredentialsRepository,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(command: CreateExport, now = Date.now()): Promise<Export> {
    if (command.idempotencyKey) {
      const existing = await this.exports.findByIdempotencyKey(command.accountId, command.idempotencyKey);
      if (existing) return existing;
    }
    if (command.type !== 'select_events' && command.events !== undefined) {
      throw new InvalidField('events', 'events may only be given with type "select_events"');
    }
    const compression = checkCompression(command.format, command.compression);
    const recurring = command.frequency === 'recurring';
    if (recurring && (command.from !== undefined || command.to !== undefined)) {
      throw new InvalidField(
        command.from !== undefined ? 'from' : 'to',
        'a recurring export has no `from`/`to`: give `intervalHours` and optionally `startAt`',
      );
    }
    if (!recurring && (command.intervalHours !== undefined || command.startAt !== undefined)) {
      throw new InvalidField(
        command.intervalHours !== undefined ? 'intervalHours' : 'startAt',
        'only a recurring export takes `intervalHours` and `startAt`',
      );
    }
    if (command.xmlLayout !== undefined && command.format !== 'xml')
      throw new InvalidField('xmlLayout', 'xmlLayout applies to the xml format only');
    if (command.profileMode !== undefined && !(recurring && command.type === 'all_profiles')) {
      throw new InvalidField(
        'profileMode',
        'profileMode applies to recurring all_profiles exports only (a one-time profile export is a full snapshot)',
      );
    }
    const prefix = checkPrefix(command.prefix ?? '');
    const window = recurring
      ? {
          start: checkRecurringStart(command.startAt === undefined ? now : instant('startAt', command.startAt), now),
          end: null,
        }
      : checkOneTimeWindow({ start: instant('from', command.from), end: instant('to', command.to) }, now);
    const credential = await this.credentials.findForAccount(command.accountId, command.credentialId);
    if (!credential) throw new NotFound('credentials', command.credentialId);
    if (command.type === 'all_profiles' && !recurring) {
      const scheduled = await this.exports.findScheduledRecurring(command.accountId, 'all_profiles');
      if (scheduled) {
        throw new Conflict(
          `a recurring profile export (${scheduled.id}) is scheduled for this account: stop it first (POST /v1/exports/${scheduled.id}/stop)`,
        );
      }
    }

    const exportRow = Object.assign(new Export(), {
      id: newId(now),
      accountId: command.accountId,
      credentialId: credential.id,
      partner: 'gcp',
      type: command.type,
      eventNames: command.type === 'select_events' ? command.events : null,
      frequency: command.frequency,
      intervalHours: recurring ? (command.intervalHours as number) : null,
      windowFrom: new Date(window.start),
      windowTo: window.end === null ? null : new Date(window.end),
      format: command.format,
      compression,
      prefix,
      maxFileMb: command.maxFileMb ?? null,
      xmlLayout: command.xmlLayout ?? 'documented',
      profileMode: command.profileMode ?? 'incremental',
      status: 'pending',
      error: null,
      idempotencyKey: command.idempotencyKey ?? null,
      stoppedAt: null,
      pausedAt: null,
    } satisfies Partial<Export>);
    const event = exportStatusEvent(
      { exportId: exportRow.id, accountId: exportRow.accountId, status: 'pending' },
      new Date(now),
      this.topics,
    );
    try {
      return await this.exports.create(exportRow, [event]);
    } catch (e) {
      // The same idempotency key at the same moment: the other request created it.
      const existing = command.idempotencyKey
        ? await this.exports.findByIdempotencyKey(command.accountId, command.idempotencyKey)
        : null;
      if (existing) return existing;
      throw e;
    }
  }
}

/** The instant of a date-time field; the request's validation has checked it already, this names the field if not. */
function instant(field: string, text: string | undefined): number {
  const at = text === undefined ? null : parseDateTime(text);
  if (at === null) throw new InvalidField(field, `${field} must be ${DATE_TIME_FORMAT}`);
  return at;
}

function checkCompression(format: ExportFormat, compression: ExportCompression | undefined): ExportCompression {
  if (compression === undefined) return format === 'parquet' ? 'snappy' : 'none';
  const allowed: ExportCompression[] = format === 'parquet' ? ['none', 'snappy', 'zstd'] : ['none', 'gzip'];
  if (!allowed.includes(compression)) {
    throw new InvalidField(
      'compression',
      `compression "${compression}" does not apply to ${format}; use one of ${allowed.join(', ')}`,
    );
  }
  return compression;
}

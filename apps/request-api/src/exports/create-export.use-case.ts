import { Inject, Injectable } from '@nestjs/common';
import { ExportEvent, Topics } from '@bulk-export/contracts';
import {
  checkOneTimeWindow,
  ExportCompression,
  ExportFormat,
  ExportFrequency,
  ExportType,
  InvalidField,
  newId,
  NotFound,
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
  format: ExportFormat;
  compression?: ExportCompression;
}

/** What this release can run; the rest is refused with a clear code instead of failing later. */
const SUPPORTED = {
  types: new Set<ExportType>(['all_events', 'select_events', 'all_profiles']),
  frequencies: new Set<ExportFrequency>(['one_time']),
  formats: new Set<ExportFormat>(['json', 'xml', 'csv', 'parquet']),
};

/**
 * Creates an export after the product's rules: the credentials belong to the account, the
 * window lies inside the last 45 days, the compression fits the format. The scheduler
 * picks it up from there.
 */
@Injectable()
export class CreateExportUseCase {
  constructor(
    private readonly exports: ExportsRepository,
    private readonly credentials: CredentialsRepository,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(command: CreateExport, now = Date.now()): Promise<Export> {
    if (!SUPPORTED.types.has(command.type)) throw notYet('type', `type "${command.type}"`);
    if (!SUPPORTED.frequencies.has(command.frequency)) throw notYet('frequency', `frequency "${command.frequency}"`);
    if (!SUPPORTED.formats.has(command.format)) throw notYet('format', `format "${command.format}"`);
    if (command.type !== 'select_events' && command.events !== undefined) {
      throw new InvalidField('events', 'events may only be given with type "select_events"');
    }
    const compression = checkCompression(command.format, command.compression);
    const window = checkOneTimeWindow({ start: Date.parse(command.from as string), end: Date.parse(command.to as string) }, now);
    const credential = await this.credentials.findForAccount(command.accountId, command.credentialId);
    if (!credential) throw new NotFound('credentials', command.credentialId);

    const exportRow = Object.assign(new Export(), {
      id: newId(now),
      accountId: command.accountId,
      credentialId: credential.id,
      partner: 'gcp',
      type: command.type,
      eventNames: command.type === 'select_events' ? command.events : null,
      frequency: command.frequency,
      intervalHours: null,
      windowFrom: new Date(window.start),
      windowTo: new Date(window.end),
      format: command.format,
      compression,
      status: 'pending',
      error: null,
    } satisfies Partial<Export>);
    const event: ExportEvent = {
      version: 1,
      exportId: exportRow.id,
      accountId: exportRow.accountId,
      status: 'pending',
      at: new Date(now).toISOString(),
    };
    return this.exports.create(exportRow, [{ topic: this.topics.exportEvents, key: exportRow.id, payload: event }]);
  }
}

function checkCompression(format: ExportFormat, compression: ExportCompression | undefined): ExportCompression {
  if (compression === undefined) return format === 'parquet' ? 'snappy' : 'none';
  const allowed: ExportCompression[] = format === 'parquet' ? ['none', 'snappy', 'zstd'] : ['none', 'gzip'];
  if (!allowed.includes(compression)) {
    throw new InvalidField('compression', `compression "${compression}" does not apply to ${format}; use one of ${allowed.join(', ')}`);
  }
  return compression;
}

function notYet(field: string, what: string): InvalidField {
  return new InvalidField(field, `${what} is not available in this release yet`);
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  EXPORT_COMPRESSIONS,
  EXPORT_FORMATS,
  EXPORT_FREQUENCIES,
  EXPORT_PARTNERS,
  EXPORT_TYPES,
  ExportCompression,
  ExportFormat,
  ExportFrequency,
  ExportPartner,
  ExportType,
  ID_REGEX,
  MAX_FILE_MB,
  MAX_PREFIX_BYTES,
  PROFILE_MODES,
  ProfileMode,
  XML_LAYOUTS,
  XmlLayout,
} from '@bulk-export/domain';
import { IsDateTime } from './is-date-time';

const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/**
 * The fields of a new export: the body of POST /v1/exports and the `export` of a create-export command, validated by
 * the same rules.
 */
export class CreateExportRequest {
  @ApiProperty({ enum: EXPORT_PARTNERS, example: 'gcp', description: 'Where the files go; only Google Cloud Storage.' })
  @IsIn(EXPORT_PARTNERS, { message: `partner must be one of ${list(EXPORT_PARTNERS)}` })
  partner: ExportPartner;

  @ApiProperty({
    example: '01M8J3BSA8WC0GBC1S7Z4TCBDC',
    description: 'Id of saved credentials (POST /v1/credentials/gcp).',
  })
  @Matches(ID_REGEX, { message: 'credentialId must be the id of saved credentials' })
  credentialId: string;

  @ApiProperty({ enum: EXPORT_TYPES, description: 'all_events, select_events (with `events`), or all_profiles.' })
  @IsIn(EXPORT_TYPES, { message: `type must be one of ${list(EXPORT_TYPES)}` })
  type: ExportType;

  /** The event names of a `select_events` export. */
  @ApiPropertyOptional({
    type: [String],
    example: ['Charged', 'App Launched'],
    description: 'For select_events: 1 to 100 distinct event names.',
  })
  @ValidateIf((o: CreateExportRequest) => o.type === 'select_events' || o.events !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique({ message: 'events must not repeat a name' })
  @IsString({ each: true })
  @Length(1, 256, { each: true })
  events?: string[];

  @ApiProperty({ enum: EXPORT_FREQUENCIES, description: 'one_time (with from/to) or recurring (with intervalHours).' })
  @IsIn(EXPORT_FREQUENCIES, { message: `frequency must be one of ${list(EXPORT_FREQUENCIES)}` })
  frequency: ExportFrequency;

  /** Start of a one-time export's window (RFC 3339 with an offset), inclusive. */
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'one_time: window start (inclusive, RFC 3339 with an offset), inside the last 45 days; Kafka capture time.',
  })
  @ValidateIf((o: CreateExportRequest) => o.frequency === 'one_time' || o.from !== undefined)
  @IsDateTime()
  from?: string;

  /** End of a one-time export's window (RFC 3339 with an offset), exclusive. */
  @ApiPropertyOptional({ format: 'date-time', description: 'one_time: window end (exclusive), not in the future.' })
  @ValidateIf((o: CreateExportRequest) => o.frequency === 'one_time' || o.to !== undefined)
  @IsDateTime()
  to?: string;

  /** Hours between the windows of a recurring export: 4 to 24, whole hours. */
  @ApiPropertyOptional({
    minimum: 4,
    maximum: 24,
    example: 6,
    description: 'recurring: hours between windows, whole hours.',
  })
  @ValidateIf((o: CreateExportRequest) => o.frequency === 'recurring' || o.intervalHours !== undefined)
  @IsInt({ message: 'intervalHours must be a whole number of hours' })
  @Min(4)
  @Max(24)
  intervalHours?: number;

  /** When a recurring export's first window starts (RFC 3339 with an offset, inside the last 45 days); default: now. */
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'recurring: start of the first window, inside the last 45 days (default: now).',
  })
  @ValidateIf((o: CreateExportRequest) => o.startAt !== undefined)
  @IsDateTime()
  startAt?: string;

  @ApiProperty({ enum: EXPORT_FORMATS, description: 'File format.' })
  @IsIn(EXPORT_FORMATS, { message: `format must be one of ${list(EXPORT_FORMATS)}` })
  format: ExportFormat;

  @ApiPropertyOptional({
    enum: EXPORT_COMPRESSIONS,
    description: 'gzip for json/csv/xml; snappy (default), zstd or none for parquet.',
  })
  @IsOptional()
  @IsString()
  @IsIn(EXPORT_COMPRESSIONS, { message: `compression must be one of ${list(EXPORT_COMPRESSIONS)}` })
  compression?: ExportCompression;

  @ApiPropertyOptional({
    example: 'clevertap/exports/',
    description: `A folder for every file and manifest of the export: relative, no "." or ".." segment, no control characters, at most ${MAX_PREFIX_BYTES} bytes; a final "/" is added when missing.`,
  })
  @IsOptional()
  @IsString()
  prefix?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_FILE_MB,
    example: 50,
    description: `Largest file in MiB (default ${MAX_FILE_MB}); the deployment's MAX_FILE_BYTES stays the ceiling.`,
  })
  @IsOptional()
  @IsInt({ message: 'maxFileMb must be a whole number of MiB' })
  @Min(1)
  @Max(MAX_FILE_MB)
  maxFileMb?: number;

  @ApiPropertyOptional({
    enum: XML_LAYOUTS,
    description: "xml only: documented (default: the platform's layout) or typed (entries with a type attribute).",
  })
  @IsOptional()
  @IsIn(XML_LAYOUTS, { message: `xmlLayout must be one of ${list(XML_LAYOUTS)}` })
  xmlLayout?: XmlLayout;

  @ApiPropertyOptional({
    enum: PROFILE_MODES,
    description:
      'recurring all_profiles only: incremental (default: the profiles changed in each window) or snapshot (every profile each window).',
  })
  @IsOptional()
  @IsIn(PROFILE_MODES, { message: `profileMode must be one of ${list(PROFILE_MODES)}` })
  profileMode?: ProfileMode;
}

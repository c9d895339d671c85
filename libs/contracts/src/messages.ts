import { Equals, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Min } from 'class-validator';
import { EXPORT_STATUSES, ID_REGEX, RUN_STATUSES } from '@bulk-export/domain';

const IsId = () => Matches(ID_REGEX, { message: '$property must be an id' });

/**
 * Every message that crosses Kafka between our services. Each has a `version`; a
 * consumer validates what it receives with decodeMessage() and dead-letters what fails.
 */

/** scheduler → extractor: stage the window of run `runId`, attempt `attempt`. */
export class ExtractWindow {
  static readonly type = 'extract-window';
  @Equals(1) version: 1;
  @IsId() runId: string;
  @IsId() exportId: string;
  @IsInt() @Min(1) attempt: number;
}

/** extractor → uploader: run `runId` is staged at `stagingPath`, ready to be written. */
export class UploadRun {
  static readonly type = 'upload-run';
  @Equals(1) version: 1;
  @IsId() runId: string;
  @IsId() exportId: string;
  @IsInt() @Min(1) attempt: number;
  @IsString() stagingPath: string;
  @IsInt() @Min(0) rowsStaged: number;
}

/** A state change of an export or one of its runs, published for anyone to follow. */
export class ExportEvent {
  static readonly type = 'export-event';
  @Equals(1) version: 1;
  @IsId() exportId: string;
  @IsId() accountId: string;
  @IsOptional() @IsId() runId?: string;
  @IsIn([...EXPORT_STATUSES, ...RUN_STATUSES]) status: string;
  @IsOptional() @IsString() error?: string;
  @IsISO8601() at: string;
}

import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type {
  ExportCompression,
  ExportFormat,
  ExportFrequency,
  ExportPartner,
  ExportStatus,
  ExportType,
  ProfileMode,
  XmlLayout,
} from '@bulk-export/domain';

/** An export a customer asked for: what, how often, in which format, to which bucket. */
@Entity('exports')
@Index(['accountId', 'createdAt'])
export class Export {
  /** Also the "request id" that starts each of its file names. */
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'account_id' }) accountId: string;
  @Column('text', { name: 'credential_id' }) credentialId: string;
  @Column('text') partner: ExportPartner;
  @Column('text') type: ExportType;
  @Column('jsonb', { name: 'event_names', nullable: true }) eventNames: string[] | null;
  @Column('text') frequency: ExportFrequency;
  @Column('int', { name: 'interval_hours', nullable: true }) intervalHours: number | null;
  @Column('timestamptz', { name: 'window_from' }) windowFrom: Date;
  @Column('timestamptz', { name: 'window_to', nullable: true }) windowTo: Date | null;
  @Column('text') format: ExportFormat;
  @Column('text') compression: ExportCompression;
  /** The folder of its files in the bucket ('' or ending in `/`). */
  @Column('text') prefix: string;
  /** The largest file in MiB it asked for (null: the deployment's MAX_FILE_BYTES). */
  @Column('int', { name: 'max_file_mb', nullable: true }) maxFileMb: number | null;
  @Column('text', { name: 'xml_layout' }) xmlLayout: XmlLayout;
  @Column('text', { name: 'profile_mode' }) profileMode: ProfileMode;
  @Column('text') status: ExportStatus;
  @Column('text', { nullable: true }) error: string | null;
  /** Given by an internal service's create-export command: the same key twice creates one export. */
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @Column('timestamptz', { name: 'stopped_at', nullable: true }) stoppedAt: Date | null;
  /** When a recurring export was paused after its runs kept failing (the reason is in `error`). */
  @Column('timestamptz', { name: 'paused_at', nullable: true }) pausedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './columns';

/** One object a run wrote to the customer's bucket. */
@Entity('export_files')
@Index(['runId', 'objectName'], { unique: true })
export class ExportFile {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'run_id' }) runId: string;
  @Column('text', { name: 'object_name' }) objectName: string;
  @Column('text', { name: 'event_name' }) eventName: string;
  /** yyyymmdd */
  @Column('text') day: string;
  @Column('int', { name: 'file_index' }) fileIndex: number;
  @Column('bigint', { transformer: bigintAsNumber }) rows: number;
  @Column('bigint', { transformer: bigintAsNumber }) bytes: number;
  /** base64 CRC32C, as GCS reports it. */
  @Column('text') crc32c: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A customer. Its `databaseId` is the last field of every file name it gets. */
@Entity('accounts')
export class Account {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'database_id', unique: true }) databaseId: string;
  @Column('text', { name: 'time_zone', default: 'UTC' }) timeZone: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

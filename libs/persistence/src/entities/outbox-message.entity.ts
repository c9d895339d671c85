import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A Kafka message written in the same transaction as the state change that causes it,
 * published afterwards by the OutboxRelay (at least once; consumers are idempotent).
 */
@Entity('outbox')
@Index('outbox_unpublished', ['id'], { where: 'published_at IS NULL' })
@Index('outbox_published', ['publishedAt'], { where: 'published_at IS NOT NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('text') topic: string;
  @Column('text', { nullable: true }) key: string | null;
  @Column('jsonb') payload: object;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'published_at', nullable: true }) publishedAt: Date | null;
}

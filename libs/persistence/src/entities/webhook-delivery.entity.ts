import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { WebhookEventType } from '@bulk-export/domain';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One event to send to one endpoint, with the outcome of its last attempt. Unique per
 * (endpoint, event): an event heard twice is delivered once. `nextAttemptAt` is also the
 * lease of the replica sending it: a claimed delivery is not due again until the attempt
 * has had its time, so a replica that died mid-attempt leaves it to another.
 */
@Entity('webhook_deliveries')
export class WebhookDelivery {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'endpoint_id' }) endpointId: string;
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'event_type' }) eventType: WebhookEventType;
  /** The exact JSON text sent (and signed) at every attempt. */
  @Column('text') body: string;
  @Column('text') status: WebhookDeliveryStatus;
  @Column('int') attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('timestamptz', { name: 'last_attempt_at', nullable: true }) lastAttemptAt: Date | null;
  /** The HTTP status the endpoint answered the last attempt with (null: no answer). */
  @Column('int', { name: 'response_status', nullable: true }) responseStatus: number | null;
  /** Why the last attempt failed, for the customer. */
  @Column('text', { nullable: true }) error: string | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

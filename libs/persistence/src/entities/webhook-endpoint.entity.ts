import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { WebhookEventType } from '@bulk-export/domain';

/**
 * An account's webhook endpoint: where its events are sent, which ones, and the secret that
 * signs them. The secret is stored only as an envelope, like a service-account key
 * (CredentialCipher, with the endpoint's id as associated data).
 */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'account_id' }) accountId: string;
  @Column('text') url: string;
  @Column('text', { array: true }) events: WebhookEventType[];
  @Column('text', { name: 'kek_id' }) kekId: string;
  @Column('bytea', { name: 'wrapped_key' }) wrappedKey: Buffer;
  @Column('bytea') ciphertext: Buffer;
  /** Given by an internal service's create-webhook command: the same key twice creates one endpoint. */
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

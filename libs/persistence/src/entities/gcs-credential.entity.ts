import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A customer's service-account key and bucket. The key is stored only as an envelope:
 * a per-credential data key wraps it with AES-256-GCM, and a key-encryption key from the
 * environment (named by `kekId`) wraps the data key.
 */
@Entity('gcs_credentials')
export class GcsCredential {
  @PrimaryColumn('text') id: string;
  @Index() @Column('text', { name: 'account_id' }) accountId: string;
  @Column('text') bucket: string;
  @Column('text', { name: 'client_email' }) clientEmail: string;
  @Column('text', { name: 'project_id' }) projectId: string;
  @Column('text', { name: 'kek_id' }) kekId: string;
  @Column('bytea', { name: 'wrapped_key' }) wrappedKey: Buffer;
  @Column('bytea') ciphertext: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt: Date | null;
}

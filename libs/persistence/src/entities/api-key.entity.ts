import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An API key of an account; only the SHA-256 of the secret is kept. */
@Entity('api_keys')
export class ApiKey {
  @PrimaryColumn('text') id: string;
  @Index() @Column('text', { name: 'account_id' }) accountId: string;
  @Column('text') name: string;
  @Column('text', { name: 'key_hash', unique: true }) keyHash: string;
  /** The first characters of the key, to recognise it in a list. */
  @Column('text') prefix: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}

import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { WebhookEventType } from '@bulk-export/domain';
import { WebhookDelivery, WebhookEndpoint } from '../entities';

/** A delivery claimed for an attempt, with the endpoint it goes to. */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  endpoint: WebhookEndpoint;
}

/** What became of one attempt of a delivery. */
export type DeliveryOutcome =
  | { status: 'delivered'; responseStatus: number }
  | { status: 'pending' | 'failed'; responseStatus: number | null; error: string; nextAttemptAt: Date | null };

/** Webhook endpoints and their deliveries. Reads by customers are always scoped to an account. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Saves a new endpoint. With an idempotency key already used by the account, nothing is
   * saved and the endpoint created then is returned (`created: false`).
   */
  async createEndpoint(endpoint: WebhookEndpoint): Promise<{ endpoint: WebhookEndpoint; created: boolean }> {
    const inserted = await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(WebhookEndpoint)
      .values(endpoint)
      .orIgnore()
      .returning('id')
      .execute();
    if (inserted.raw.length > 0)
      return {
        endpoint: await this.dataSource.getRepository(WebhookEndpoint).findOneByOrFail({ id: endpoint.id }),
        created: true,
      };
    const existing = await this.dataSource
      .getRepository(WebhookEndpoint)
      .findOneByOrFail({ accountId: endpoint.accountId, idempotencyKey: endpoint.idempotencyKey ?? '' });
    return { endpoint: existing, created: false };
  }

  async findByIdempotencyKey(accountId: string, idempotencyKey: string): Promise<WebhookEndpoint | null> {
    return this.dataSource.getRepository(WebhookEndpoint).findOneBy({ accountId, idempotencyKey });
  }

  async listEndpoints(accountId: string): Promise<WebhookEndpoint[]> {
    return this.dataSource.getRepository(WebhookEndpoint).find({ where: { accountId }, order: { id: 'DESC' } });
  }

  async findEndpoint(accountId: string, id: string): Promise<WebhookEndpoint | null> {
    return this.dataSource.getRepository(WebhookEndpoint).findOneBy({ id, accountId });
  }

  /** Deletes an endpoint with its deliveries (those not sent yet are not sent). False when there was none. */
  async deleteEndpoint(accountId: string, id: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(WebhookEndpoint).delete({ id, accountId });
    return (result.affected ?? 0) > 0;
  }

  /**
   * The account's endpoints subscribed to `type` that were registered by `at`, when the event
   * happened: an endpoint hears of what happens after it is registered, not of the history
   * a consumer replays.
   */
  async endpointsFor(accountId: string, type: WebhookEventType, at: Date): Promise<WebhookEndpoint[]> {
    return this.dataSource
      .getRepository(WebhookEndpoint)
      .createQueryBuilder('w')
      .where('w.account_id = :accountId AND :type = ANY(w.events) AND w.created_at <= :at', { accountId, type, at })
      .getMany();
  }

  /**
   * Queues deliveries, due now; one already queued for the same (endpoint, event) is left as it is. Returns how many
   * are new.
   */
  async enqueue(
    deliveries: Pick<WebhookDelivery, 'id' | 'endpointId' | 'eventId' | 'eventType' | 'body'>[],
  ): Promise<number> {
    if (deliveries.length === 0) return 0;
    const rows = deliveries.map((d) => ({
      ...d,
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: () => 'now()',
    }));
    const result = await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(WebhookDelivery)
      .values(rows)
      .orIgnore()
      .returning('id')
      .execute();
    return result.raw.length;
  }

  /**
   * Claims up to `limit` due deliveries for an attempt: counts the attempt and moves their
   * next attempt `leaseMs` ahead, so no other replica takes them meanwhile (SKIP LOCKED
   * while choosing). A replica that dies mid-attempt leaves them due again after the lease.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.dataSource.transaction(async (manager) => {
      const due = await manager
        .createQueryBuilder(WebhookDelivery, 'd')
        .where(`d.status = 'pending' AND d.next_attempt_at <= now()`)
        .orderBy('d.next_attempt_at', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      if (due.length === 0) return [];
      const ids = due.map((d) => d.id);
      await manager.query(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = now(), next_attempt_at = now() + $2 * interval '1 millisecond' WHERE id = ANY($1)`,
        [ids, leaseMs],
      );
      const endpoints = await manager
        .getRepository(WebhookEndpoint)
        .findBy({ id: In([...new Set(due.map((d) => d.endpointId))]) });
      const byId = new Map(endpoints.map((e) => [e.id, e]));
      return due.map((d) => ({
        delivery: { ...d, attempts: d.attempts + 1 },
        endpoint: byId.get(d.endpointId) as WebhookEndpoint,
      }));
    });
  }

  /**
   * Records the outcome of attempt `attempt`; ignored if the delivery has moved on (another replica took it after the
   * lease).
   */
  async recordAttempt(id: string, attempt: number, outcome: DeliveryOutcome): Promise<boolean> {
    const patch: Partial<WebhookDelivery> =
      outcome.status === 'delivered'
        ? {
            status: 'delivered',
            responseStatus: outcome.responseStatus,
            error: null,
            nextAttemptAt: null,
            deliveredAt: new Date(),
          }
        : {
            status: outcome.status,
            responseStatus: outcome.responseStatus,
            error: outcome.error,
            nextAttemptAt: outcome.nextAttemptAt,
          };
    const result = await this.dataSource
      .getRepository(WebhookDelivery)
      .update({ id, attempts: attempt, status: 'pending' }, patch);
    return (result.affected ?? 0) > 0;
  }

  /** The endpoint's last deliveries, newest first; `before` is the id of the last one of the previous page. */
  async listDeliveries(endpointId: string, limit: number, before?: string): Promise<WebhookDelivery[]> {
    const qb = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.endpoint_id = :endpointId', { endpointId });
    if (before) qb.andWhere('d.id < :before', { before });
    return qb.orderBy('d.id', 'DESC').limit(limit).getMany();
  }

  /**
   * Deletes up to `limit` deliveries that are over (delivered or failed) and were created before `before`. Returns how
   * many.
   */
  async deleteFinished(before: Date, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    )) as [unknown, number];
    return deleted;
  }

  /** Every endpoint, for re-wrapping secrets under a new key-encryption key. */
  async allEndpoints(): Promise<WebhookEndpoint[]> {
    return this.dataSource.getRepository(WebhookEndpoint).find();
  }

  async updateSealedSecret(
    id: string,
    sealed: Pick<WebhookEndpoint, 'kekId' | 'wrappedKey' | 'ciphertext'>,
  ): Promise<void> {
    await this.dataSource.getRepository(WebhookEndpoint).update({ id }, sealed);
  }
}

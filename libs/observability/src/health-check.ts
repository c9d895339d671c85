/** A dependency a service needs to be ready (Postgres, Kafka, storage), or a worker it needs alive. */
export interface HealthCheck {
  readonly name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(): Promise<void>;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');
/** Checks whose failure means the process is broken (e.g. a crashed consumer): liveness fails too. */
export const LIVENESS_CHECKS = Symbol('LIVENESS_CHECKS');

export async function runChecks(checks: HealthCheck[], timeoutMs = 3000): Promise<Record<string, string>> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref()),
        ]);
        return [c.name, 'up'] as const;
      } catch (e) {
        return [c.name, `down: ${e instanceof Error ? e.message : String(e)}`] as const;
      }
    }),
  );
  return Object.fromEntries(results);
}

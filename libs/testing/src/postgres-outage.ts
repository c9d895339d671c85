import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { STACK } from './local-stack';
import { waitFor } from './wait-for';

/** The Debian cluster (version, name) that serves the stack's Postgres port. */
function stackCluster(): [string, string] {
  const port = new URL(STACK.postgresAdminUrl).port || '5432';
  const line = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[2] === port);
  if (!line) throw new Error(`no Debian Postgres cluster on port ${port} (pg_lsclusters)`);
  return [line[0], line[1]];
}

/**
 * Stops the SHARED Postgres of the local stack (pg_ctlcluster, fast mode), runs `during`,
 * and starts it again whatever happens, waiting until it accepts connections. Only while
 * holding /tmp/bulk-export-e2e.lock, as every test run does.
 */
export async function withPostgresStopped<T>(during: () => Promise<T>): Promise<T> {
  const [version, cluster] = stackCluster();
  execFileSync('pg_ctlcluster', [version, cluster, 'stop', '-m', 'fast']);
  try {
    return await during();
  } finally {
    execFileSync('pg_ctlcluster', [version, cluster, 'start']);
    await waitFor(
      'Postgres accepting connections again',
      async () => {
        const c = new Client({ connectionString: STACK.postgresAdminUrl });
        await c.connect();
        await c.end();
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }
}

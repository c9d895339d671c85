import { ServiceName, ServiceProcess, TestSystem } from '@bulk-export/testing';

/**
 * The services that may run as several replicas, and the counter (of their /metrics) that says how much of an export
 * each did.
 */
const WORKERS = { extractor: 'bulk_export_events_read_total', uploader: 'bulk_export_rows_written_total' } as const;
type WorkerName = keyof typeof WORKERS;

interface BenchProcess {
  /** `extractor-2` with several replicas; the bare service name with one (as in older results). */
  key: string;
  name: ServiceName;
  service: ServiceProcess;
}

/**
 * The services under benchmark: one request-api and one scheduler (a TestSystem) and
 * `replicas` extractors and uploaders against the same database and topics, so that a run's
 * work can be shared between them.
 */
export class BenchSystem {
  private constructor(
    readonly system: TestSystem,
    readonly processes: BenchProcess[],
  ) {}

  static async start(env: Record<string, string>, replicas: number): Promise<BenchSystem> {
    const system = await TestSystem.start(env, ['request-api', 'scheduler']);
    const processes: BenchProcess[] = (['request-api', 'scheduler'] as const).map((name) => ({
      key: name,
      name,
      service: system.service(name),
    }));
    for (const name of Object.keys(WORKERS) as WorkerName[]) {
      for (let i = 1; i <= replicas; i++) {
        // Instance 0 logs to <name>.log; the replicas' logs are named as their keys.
        const instance = replicas === 1 ? 0 : i;
        processes.push({
          key: instance ? `${name}-${i}` : name,
          name,
          service: new ServiceProcess(name, system.env, system.logDir, instance),
        });
      }
    }
    const bench = new BenchSystem(system, processes);
    try {
      await Promise.all(bench.workers().map((p) => p.service.start()));
    } catch (e) {
      await bench.stop();
      throw e;
    }
    return bench;
  }

  private workers(): BenchProcess[] {
    return this.processes.filter((p) => p.name in WORKERS);
  }

  /** The keys of the extractors and uploaders, in order. */
  get workerKeys(): string[] {
    return this.workers().map((p) => p.key);
  }

  /** Every service's pid by its key. */
  pids(): Record<string, number> {
    return Object.fromEntries(this.processes.map((p) => [p.key, p.service.pid]));
  }

  /**
   * By worker key, how much it has done so far: events read (extractors), rows written (uploaders), from its /metrics.
   */
  async workDone(): Promise<Record<string, number>> {
    return Object.fromEntries(
      await Promise.all(
        this.workers().map(async (p) => {
          const res = await fetch(`${p.service.url}/metrics`);
          if (!res.ok) throw new Error(`${p.key} /metrics answered ${res.status}`);
          return [p.key, counterTotal(await res.text(), WORKERS[p.name as WorkerName])] as const;
        }),
      ),
    );
  }

  /** Stops the replicas, then the TestSystem (which drops the database). */
  async stop(): Promise<void> {
    await Promise.all(this.workers().map((p) => p.service.stop()));
    await this.system.stop();
  }
}

/** The sum of a counter's samples over all its label sets, in Prometheus' text format; 0 when it has none yet. */
export function counterTotal(text: string, metric: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === metric) total += Number(m[2]);
  }
  return total;
}

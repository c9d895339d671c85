import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What the benchmark measured while one piece of work ran. */
export interface Measured<T> {
  result: T;
  seconds: number;
  /** Peak resident memory of each sampled process. */
  peakRssMb: Record<string, number>;
  /** CPU seconds (user + system, all threads) each process used during the work. */
  cpuSeconds: Record<string, number>;
}

const CLOCK_TICKS = 100;

/** utime + stime and cutime + cstime (children waited for) of a process, from /proc/<pid>/stat; zeros if it is gone. */
function statTimes(pid: number | 'self'): { own: number; children: number } {
  try {
    // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are the 12th to 15th.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').map(Number);
    return { own: (f[11] + f[12]) / CLOCK_TICKS, children: (f[13] + f[14]) / CLOCK_TICKS };
  } catch {
    return { own: 0, children: 0 };
  }
}

/** CPU seconds a process has used so far; 0 if it is gone. */
export function cpuSeconds(pid: number): number {
  return statTimes(pid).own;
}

/**
 * CPU seconds used by this process's children that exited and were reaped so far. A child
 * process run alone (kcat) costs the difference around it: Node reaps a child before its
 * 'exit' event, and the kernel adds the child's whole CPU time here then, however short it lived.
 */
export function reapedChildrenCpuSeconds(): number {
  return statTimes('self').children;
}

export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The stack's Kafka broker and fake-gcs-server, by the pid files `npm run stack` keeps. */
export function stackPids(): Record<string, number> {
  const run = join(process.env.STACK_DIR ?? resolve(__dirname, '../../.stack'), 'run');
  const pids: Record<string, number> = {};
  for (const name of ['kafka', 'gcs']) {
    try {
      pids[name] = Number(readFileSync(join(run, `${name}.pid`), 'utf8').trim());
    } catch {
      // not started by the stack script: not measured
    }
  }
  return pids;
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Runs `work` and measures it: wall time, the CPU seconds of every process in `services`
 * and `others`, and the peak RSS of those in `services` (sampled every 100 ms).
 */
export async function measure<T>(
  services: Record<string, number>,
  others: Record<string, number>,
  work: () => Promise<T>,
): Promise<Measured<T>> {
  const all = { ...services, ...others };
  const peak: Record<string, number> = Object.fromEntries(Object.keys(services).map((name) => [name, 0]));
  const sample = () => {
    for (const [name, pid] of Object.entries(services)) peak[name] = Math.max(peak[name], rssMb(pid));
  };
  const sampler = setInterval(sample, 100);
  const cpuBefore = Object.fromEntries(Object.entries(all).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    sample();
    return {
      result,
      seconds,
      peakRssMb: Object.fromEntries(Object.entries(peak).map(([name, mb]) => [name, Math.round(mb)])),
      cpuSeconds: Object.fromEntries(
        Object.entries(all).map(([name, pid]) => [name, round(cpuSeconds(pid) - cpuBefore[name])]),
      ),
    };
  } finally {
    clearInterval(sampler);
  }
}

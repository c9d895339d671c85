import { RunTaskCommand } from './messages';
import { Topics } from './topics';

/**
 * A message key that spreads: `<group>#<n>` goes to partition n modulo the topic's partitions (the services'
 * partitioner).
 */
export const SPREAD_KEY = /#(\d+)$/;

export function spreadKey(group: string, n: number): string {
  return `${group}#${n}`;
}

/**
 * The command of a run's task: extract tasks to the extractors, write and finish tasks to
 * the uploaders, keyed to go to partition `spread` (spreadOf: round the partitions), so
 * replicas that own equal shares of the partitions get equal shares of a run's tasks.
 */
export function runTaskCommand(
  task: { id: string; runId: string; attempt: number; kind: RunTaskCommand['kind']; taskAttempt: number },
  spread: number,
  topics: Pick<Topics, 'extractTasks' | 'writeTasks'>,
): { topic: string; key: string; payload: RunTaskCommand } {
  return {
    topic: task.kind === 'extract' ? topics.extractTasks : topics.writeTasks,
    key: spreadKey(task.runId, spread),
    payload: {
      version: 1,
      runId: task.runId,
      attempt: task.attempt,
      taskId: task.id,
      kind: task.kind,
      taskAttempt: task.taskAttempt,
    },
  };
}

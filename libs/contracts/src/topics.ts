/**
 * Every topic the services own, in one map. A deployment (or a test run) can prefix them
 * all with TOPIC_PREFIX to share a cluster. Customers' event and profile topics are not
 * ours: their names come from EVENTS_TOPIC_TEMPLATE / PROFILES_TOPIC_TEMPLATE.
 */
export interface Topics {
  /** scheduler → extractor: plan a run's attempt into extract tasks (PlanRunCommand). */
  readonly planRuns: string;
  /** → extractor: a run's extract tasks (RunTaskCommand), spread over the extractors by the topic's partitions. */
  readonly extractTasks: string;
  /** → uploader: a run's write and finish tasks (RunTaskCommand), spread over the uploaders. */
  readonly writeTasks: string;
  /** internal services → request-api: create-export and stop-export commands. */
  readonly commands: string;
  /** state changes of exports and runs (ExportEvent), and answers to commands (CommandResult). */
  readonly exportEvents: string;
  /** messages that could not be understood, with the reason in headers. */
  readonly deadLetter: string;
}

export function topicNames(prefix: string): Topics {
  return {
    commands: `${prefix}export.commands`,
    planRuns: `${prefix}export.plan-runs`,
    extractTasks: `${prefix}export.extract-tasks`,
    writeTasks: `${prefix}export.write-tasks`,
    exportEvents: `${prefix}export.events`,
    deadLetter: `${prefix}export.dead-letter`,
  };
}

/** Consumer group of a service on its input topic. */
export function consumerGroup(prefix: string, service: string): string {
  return `${prefix}bulk-export.${service}`;
}

/** Customer topic name from its template, e.g. `events.{accountId}`. */
export function accountTopic(template: string, accountId: string): string {
  return template.split('{accountId}').join(accountId);
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus metrics of a service, one registry per process, served at /metrics.
 * Labels never carry secrets or unbounded values (no account ids, no event names).
 */
export class Metrics {
  readonly registry = new Registry();

  readonly eventsRead = new Counter({
    name: 'bulk_export_events_read_total',
    help: 'Kafka messages read by the extractor for windows',
    registers: [this.registry],
  });
  readonly eventsStaged = new Counter({
    name: 'bulk_export_events_staged_total',
    help: 'Valid events staged for upload',
    registers: [this.registry],
  });
  readonly rowsWritten = new Counter({
    name: 'bulk_export_rows_written_total',
    help: 'Rows written to exported files',
    labelNames: ['format'],
    registers: [this.registry],
  });
  readonly bytesUploaded = new Counter({
    name: 'bulk_export_bytes_uploaded_total',
    help: 'Bytes uploaded to customer buckets',
    labelNames: ['format'],
    registers: [this.registry],
  });
  readonly filesUploaded = new Counter({
    name: 'bulk_export_files_uploaded_total',
    help: 'Files uploaded to customer buckets',
    labelNames: ['format'],
    registers: [this.registry],
  });
  readonly messagesExpired = new Counter({
    name: 'bulk_export_messages_expired_total',
    help: 'Messages of a window that Kafka deleted (retention) before the extractor read them',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'bulk_export_dead_lettered_total',
    help: 'Messages set aside on the dead-letter topic',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly commandFailures = new Counter({
    name: 'bulk_export_command_failures_total',
    help: 'Times a command handler failed (each try counts); see the dead-letter topic for commands given up',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly exportsPaused = new Counter({
    name: 'bulk_export_exports_paused_total',
    help: 'Recurring exports paused after their latest runs all failed',
    registers: [this.registry],
  });
  readonly runsFailed = new Counter({
    name: 'bulk_export_run_attempts_failed_total',
    help: 'Failed run attempts',
    labelNames: ['stage', 'final'],
    registers: [this.registry],
  });
  readonly runsCompleted = new Counter({
    name: 'bulk_export_runs_completed_total',
    help: 'Runs completed',
    labelNames: ['format'],
    registers: [this.registry],
  });
  readonly stageDuration = new Histogram({
    name: 'bulk_export_stage_duration_seconds',
    help: 'Duration of a run stage (extract, upload)',
    labelNames: ['stage'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly windowsEmitted = new Counter({
    name: 'bulk_export_windows_emitted_total',
    help: 'Runs created by the scheduler',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'bulk_export_consumer_lag',
    help: "Messages not yet consumed by this service's consumer group",
    labelNames: ['group', 'topic'],
    registers: [this.registry],
  });
  readonly consumerUp = new Gauge({
    name: 'bulk_export_consumer_up',
    help: "1 while this service's command consumer is in its group and fetching, 0 while it reconnects after a crash",
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly consumerReconnects = new Counter({
    name: 'bulk_export_consumer_reconnects_total',
    help: "Times this service's command consumer was rebuilt after crashing (a Kafka outage, a lost coordinator)",
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly webhookAttempts = new Counter({
    name: 'bulk_export_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome: delivered, retried (failed, tried again later) or failed (given up)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly outboxPending = new Gauge({
    name: 'bulk_export_outbox_pending',
    help: 'Outbox messages not yet published',
    registers: [this.registry],
  });

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }
}

/**
 * Opens once the service's HTTP server listens. Work that needs Kafka (connecting, topic
 * creation, consumers, the outbox relay) waits for it, so that health, metrics and the
 * REST API answer whether or not Kafka does, and readiness can say what is down.
 */
export class ServiceStarted {
  private open!: () => void;
  readonly listening: Promise<void> = new Promise((resolve) => (this.open = resolve));

  markListening(): void {
    this.open();
  }
}

import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeExportEvent, HeardExportEvent } from '@bulk-export/contracts';
import { CommandErrors, HandleCommands } from '@bulk-export/messaging';
import { WebhookEventsHandler } from './webhook-events.handler';

/** Webhooks follow the export events topic, in a consumer group of their own (KafkaCommandTransport). */
@Controller()
@UseFilters(new CommandErrors())
export class WebhookEventsController {
  constructor(private readonly handler: WebhookEventsHandler) {}

  @HandleCommands('exportEvents', decodeExportEvent, { group: 'webhooks' })
  deliver(@Payload() event: HeardExportEvent): Promise<void> {
    return this.handler.handle(event);
  }
}

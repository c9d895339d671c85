import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { MAX_WEBHOOK_URL_LENGTH, WEBHOOK_EVENT_TYPES, WebhookEventType } from '@bulk-export/domain';

/**
 * The fields of a new webhook endpoint: the body of POST /v1/webhooks and the `webhook` of a
 * create-webhook command, validated by the same rules. Where the URL may point is checked
 * by the use case (it resolves the name).
 */
export class CreateWebhookRequest {
  @ApiProperty({
    example: 'https://hooks.example.com/bulk-export',
    description:
      'Where events are POSTed: https, resolving to public addresses only (unless the operator allow-listed the host).',
  })
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url: string;

  @ApiProperty({
    type: [String],
    enum: WEBHOOK_EVENT_TYPES,
    example: ['run.done', 'run.failed'],
    description: 'The events to send: 1 or more of the list, no repeats.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique({ message: 'events must not repeat an event' })
  @IsIn(WEBHOOK_EVENT_TYPES, {
    each: true,
    message: `each of events must be one of ${WEBHOOK_EVENT_TYPES.map((t) => `"${t}"`).join(', ')}`,
  })
  events: WebhookEventType[];
}

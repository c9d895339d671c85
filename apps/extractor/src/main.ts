import 'reflect-metadata';
import { KafkaCommandTransport } from '@bulk-export/messaging';
import { runService } from '@bulk-export/observability';
import { ExtractorModule, SERVICE } from './extractor.module';

runService({
  name: SERVICE,
  config: { defaults: { HTTP_PORT: 3002 } },
  transport: (app) => app.get(KafkaCommandTransport),
  module: (config, logger) => ExtractorModule.forRoot(config, logger),
});

import 'reflect-metadata';
import { KafkaCommandTransport } from '@bulk-export/messaging';
import { runService } from '@bulk-export/observability';
import { SERVICE, UploaderModule } from './uploader.module';

runService({
  name: SERVICE,
  config: { defaults: { HTTP_PORT: 3003 }, require: ['CREDENTIALS_KEKS'] },
  transport: (app) => app.get(KafkaCommandTransport),
  module: (config, logger) => UploaderModule.forRoot(config, logger),
});

import 'reflect-metadata';
import { runService } from '@bulk-export/observability';
import { SERVICE, UploaderModule } from './uploader.module';

runService({
  name: SERVICE,
  config: { defaults: { HTTP_PORT: 3003 }, require: ['CREDENTIALS_KEKS'] },
  module: (config, logger) => UploaderModule.forRoot(config, logger),
});

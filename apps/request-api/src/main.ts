import 'reflect-metadata';
import { NestExpressApplication } from '@nestjs/platform-express';
import { runService } from '@bulk-export/observability';
import { validationPipe } from './http/validation.pipe';
import { RequestApiModule, SERVICE } from './request-api.module';

runService({
  name: SERVICE,
  config: { defaults: { HTTP_PORT: 3000 }, require: ['CREDENTIALS_KEKS'] },
  module: (config, logger) => RequestApiModule.forRoot(config, logger),
  configure: (app) => {
    (app as NestExpressApplication).useBodyParser('json', { limit: '64kb' });
    app.useGlobalPipes(validationPipe());
  },
});

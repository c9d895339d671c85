import 'reflect-metadata';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { KafkaCommandTransport } from '@bulk-export/messaging';
import { runService } from '@bulk-export/observability';
import { serveConsole } from './console/serve-console';
import { rejectDeepBodies } from './http/body-depth.middleware';
import { rejectUnsafeInput } from './http/unsafe-input.middleware';
import { validationPipe } from './http/validation.pipe';
import { RequestApiModule, SERVICE } from './request-api.module';

runService({
  name: SERVICE,
  config: { defaults: { HTTP_PORT: 3000 }, require: ['CREDENTIALS_KEKS'] },
  transport: (app) => app.get(KafkaCommandTransport),
  module: (config, logger) => RequestApiModule.forRoot(config, logger),
  configure: (app, config, logger) => {
    (app as NestExpressApplication).useBodyParser('json', { limit: '64kb' });
    app.use(rejectDeepBodies);
    app.use(rejectUnsafeInput);
    app.useGlobalPipes(validationPipe());
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Bulk Export')
        .setDescription(
          'Exports product-analytics events and user profiles from Kafka to Google Cloud Storage. Errors are `{ code, message, field? }`.',
        )
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key' })
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
    serveConsole(app as NestExpressApplication, config, logger);
  },
});

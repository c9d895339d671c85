import 'reflect-metadata';
import { runService } from '@bulk-export/observability';
import { ExtractorModule, SERVICE } from './extractor.module';

runService({
  name: SERVICE,
  config: { defaults: { HTTP_PORT: 3002 } },
  module: (config, logger) => ExtractorModule.forRoot(config, logger),
});

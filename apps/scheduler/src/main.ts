import 'reflect-metadata';
import { runService } from '@bulk-export/observability';
import { SchedulerModule, SERVICE } from './scheduler.module';

runService({
  name: SERVICE,
  config: { defaults: { HTTP_PORT: 3001 } },
  module: (config, logger) => SchedulerModule.forRoot(config, logger),
});

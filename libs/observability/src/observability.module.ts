import { DynamicModule, Global, Module } from '@nestjs/common';
import { Logger } from './logger';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { ServiceStarted } from './service-started';

/** Makes the service's logger, metrics and start-up signal injectable everywhere, and serves /metrics. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(logger: Logger, service: string): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [MetricsController],
      providers: [
        { provide: Logger, useValue: logger },
        { provide: Metrics, useValue: new Metrics(service) },
        { provide: ServiceStarted, useValue: new ServiceStarted() },
      ],
      exports: [Logger, Metrics, ServiceStarted],
    };
  }
}

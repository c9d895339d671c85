import { DynamicModule, Global, Module } from '@nestjs/common';
import { Logger } from './logger';

/** Makes the service's logger injectable everywhere. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: ObservabilityModule, providers: [{ provide: Logger, useValue: logger }], exports: [Logger] };
  }
}

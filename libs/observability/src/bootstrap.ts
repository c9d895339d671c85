import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { AppConfig, InvalidConfiguration, loadConfig, LoadConfigOptions } from '@bulk-export/config';
import { Logger, NestLogger } from './logger';
import { ServiceStarted } from './service-started';

export interface ServiceDefinition {
  name: string;
  config: LoadConfigOptions;
  module(config: AppConfig, logger: Logger): DynamicModule;
  configure?(app: INestApplication, config: AppConfig, logger: Logger): void;
  /** The service's command transport (@nestjs/microservices), started once HTTP listens. */
  transport?(app: INestApplication): CustomTransportStrategy;
}

/**
 * Starts one service: reads and validates the configuration (exiting with the names of
 * the bad settings), builds the Nest application with the shared logger, listens on
 * HTTP_PORT, and only then lets Kafka connect (ServiceStarted); shuts down cleanly on SIGTERM/SIGINT. A fatal error
 * exits non-zero so the
 * supervisor (compose, Kubernetes, the local start script) restarts the service.
 */
export async function bootstrapService(definition: ServiceDefinition): Promise<INestApplication> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env, definition.config);
  } catch (e) {
    if (e instanceof InvalidConfiguration) {
      process.stderr.write(`${definition.name}: ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const logger = new Logger(definition.name, config.LOG_LEVEL);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection; exiting', { error: reason });
    process.exit(1);
  });
  const app = await NestFactory.create(definition.module(config, logger), {
    logger: new NestLogger(logger),
    bufferLogs: false,
  });
  // Shutdown hooks run through app.close(); the process then exits normally (exit code 0),
  // which also lets `--cpu-prof` write its profile.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info('shutting down', { signal });
      app.close().then(
        () => process.exit(0),
        (e: unknown) => {
          logger.error('shutdown failed', { error: e });
          process.exit(1);
        },
      );
    });
  }
  definition.configure?.(app, config, logger);
  const strategy = definition.transport?.(app);
  if (strategy) app.connectMicroservice({ strategy }, { inheritAppConfig: false });
  await app.listen(config.HTTP_PORT, '0.0.0.0');
  // Keep idle connections open longer than clients and load balancers do, so a client
  // never sends a request on a connection the server is just closing.
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const address = app.getHttpServer().address();
  logger.info('service started', { port: typeof address === 'object' && address ? address.port : config.HTTP_PORT });
  // Only now does the service connect to Kafka (see ServiceStarted).
  app.get(ServiceStarted, { strict: false }).markListening();
  if (strategy) await app.startAllMicroservices();
  return app;
}

/** Runs a service's bootstrap, exiting non-zero with the reason if it fails. */
export function runService(definition: ServiceDefinition): void {
  bootstrapService(definition).catch((e: unknown) => {
    new Logger(definition.name).error('service failed to start', { error: e });
    process.exit(1);
  });
}

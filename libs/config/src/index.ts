/**
 * config: the one validated configuration schema of all services. loadConfig() is the only
 * reader of process.env; everything else receives AppConfig by injection.
 */
export * from './app-config';
export * from './load-config';
export * from './config.module';

import { LoggerService } from '@nestjs/common';
import { redact, redactString } from './redact';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface LogSink {
  write(line: string): void;
}

/**
 * The one logger of all services: one JSON object per line, with the service name and
 * whatever context a child carries (exportId, runId…), secrets redacted.
 */
export class Logger {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly context: Record<string, unknown> = {},
    private readonly sink: LogSink = process.stdout,
  ) {}

  child(context: Record<string, unknown>): Logger {
    return new Logger(this.service, this.level, { ...this.context, ...context }, this.sink);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.write('error', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write('debug', msg, fields);
  }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (RANK[level] > RANK[this.level]) return;
    const line = {
      time: new Date().toISOString(),
      level,
      service: this.service,
      msg: redactString(msg),
      ...(redact({ ...this.context, ...fields }) as Record<string, unknown>),
    };
    this.sink.write(JSON.stringify(line) + '\n');
  }
}

/** Lets Nest's own messages go through the same logger. */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info(String(message), context ? { context } : undefined);
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error(String(message), { trace, context });
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn(String(message), context ? { context } : undefined);
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug(String(message), context ? { context } : undefined);
  }
  verbose(message: unknown, context?: string): void {
    this.logger.debug(String(message), context ? { context } : undefined);
  }
}

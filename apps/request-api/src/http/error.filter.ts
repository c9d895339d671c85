import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ErrorKind, RateLimited, ServiceUnavailable } from '@bulk-export/domain';
import { isDatabaseUnavailable } from '@bulk-export/persistence';
import { Logger } from '@bulk-export/observability';

const STATUS: Record<ErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  unauthorized: HttpStatus.UNAUTHORIZED,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
};

/** A field-level problem of a request body. */
export interface FieldError {
  field: string;
  message: string;
}

/** A 400 for a body that failed validation; carries every field that is wrong. */
export class InvalidRequest extends HttpException {
  constructor(readonly errors: FieldError[]) {
    super({ code: 'invalid_request', message: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors }, 400);
  }
}

/**
 * The one place that turns errors into HTTP answers: `{ code, message, field?, errors? }`.
 * Domain errors map by kind; Postgres not answering is a 503 `unavailable` with
 * Retry-After; anything unexpected is a 500 whose details stay in the log.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(caught: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    let error = caught;
    if (!(error instanceof DomainError) && isDatabaseUnavailable(error)) {
      this.logger.warn('request failed: Postgres does not answer', { error });
      error = new ServiceUnavailable(
        'the service cannot reach its database right now; nothing was changed, try again shortly',
      );
    }
    if (error instanceof DomainError) {
      if (error instanceof RateLimited || error instanceof ServiceUnavailable)
        response.setHeader('Retry-After', String(error.retryAfterSeconds));
      response
        .status(STATUS[error.kind])
        .json({ code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) });
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      if (typeof body === 'object' && body !== null && 'code' in body) {
        response.status(status).json(body);
        return;
      }
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
      response
        .status(status)
        .json({ code: codeOf(status), message: Array.isArray(message) ? message.join('; ') : String(message) });
      return;
    }
    // Errors of the HTTP layer itself (body too large, malformed JSON…) carry their 4xx status.
    const status =
      (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      response.status(status).json({
        code: codeOf(status),
        message: status === 413 ? 'the request body is too large' : 'the request could not be read',
      });
      return;
    }
    this.logger.error('request failed', { error });
    response
      .status(500)
      .json({ code: 'internal_error', message: 'something went wrong on our side; it has been logged' });
  }
}

function codeOf(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    default:
      return `http_${status}`;
  }
}

/**
 * Typed errors of the product. The REST exception filter maps `kind` to an HTTP status and
 * returns `code` and `message`; the Kafka command consumer answers with the same.
 * Messages are written for the customer and never contain secrets.
 */
export type ErrorKind =
  'invalid' | 'unprocessable' | 'unauthorized' | 'not_found' | 'conflict' | 'unavailable' | 'rate_limited';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly code: string;
  /** The request field the error is about, when there is one. */
  readonly field?: string;
  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.field = field;
  }
}

export class InvalidField extends DomainError {
  readonly kind = 'invalid';
  readonly code = 'invalid_field';
  constructor(field: string, message: string) {
    super(message, field);
  }
}

export class WindowTooOld extends DomainError {
  readonly kind = 'invalid';
  readonly code = 'window_too_old';
}

export class WindowReversed extends DomainError {
  readonly kind = 'invalid';
  readonly code = 'window_reversed';
}

export class WindowInFuture extends DomainError {
  readonly kind = 'invalid';
  readonly code = 'window_in_future';
}

export class InvalidServiceKey extends DomainError {
  readonly kind = 'unprocessable';
  readonly code = 'invalid_service_key';
}

export class InvalidBucketName extends DomainError {
  readonly kind = 'unprocessable';
  readonly code = 'invalid_bucket_name';
}

export class BucketNotFound extends DomainError {
  readonly kind = 'unprocessable';
  readonly code = 'bucket_not_found';
}

export class BucketNotWritable extends DomainError {
  readonly kind = 'unprocessable';
  readonly code = 'bucket_not_writable';
}

export class StorageUnavailable extends DomainError {
  readonly kind = 'unavailable';
  readonly code = 'storage_unavailable';
}

export class Unauthenticated extends DomainError {
  readonly kind = 'unauthorized';
  readonly code = 'unauthenticated';
}

export class NotFound extends DomainError {
  readonly kind = 'not_found';
  readonly code = 'not_found';
  constructor(what: string, id: string) {
    super(`${what} ${id.length > 64 ? `${id.slice(0, 64)}…` : id} was not found`);
  }
}

export class Conflict extends DomainError {
  readonly kind = 'conflict';
  readonly code = 'conflict';
}

export class RateLimited extends DomainError {
  readonly kind = 'rate_limited';
  readonly code = 'rate_limited';
  constructor(
    readonly retryAfterSeconds: number,
    what = 'too many requests with this API key',
  ) {
    super(`${what}; try again in ${retryAfterSeconds} s`);
  }
}

/** A dependency (Postgres) does not answer: a 503 with Retry-After, nothing written. */
export class ServiceUnavailable extends DomainError {
  readonly kind = 'unavailable';
  readonly code = 'unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

/** A thrown value as a reason a customer or operator can read, cut at `maxChars`; stack traces stay in the logs. */
export function describeError(error: unknown, maxChars = 1000): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > maxChars ? `${message.slice(0, maxChars)}…` : message;
}

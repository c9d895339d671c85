import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, InvalidRequest } from './error.filter';

/**
 * Request bodies: unknown fields are refused, types are strict, and every problem is
 * reported with the path of its field.
 */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InvalidRequest(errors.flatMap((e) => flatten(e, ''))),
  });
}

function flatten(error: ValidationError, parent: string): FieldError[] {
  const field = parent ? `${parent}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) => ({
    field,
    message: message.replace(/^property (\S+) should not exist$/, 'is not a known field'),
  }));
  return [...own, ...(error.children ?? []).flatMap((c) => flatten(c, field))];
}

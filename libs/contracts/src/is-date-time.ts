import { ValidateBy, ValidationOptions } from 'class-validator';
import { DATE_TIME_FORMAT, parseDateTime } from '@bulk-export/domain';

/** A string that parseDateTime reads: an RFC 3339 date-time with an offset. */
export function IsDateTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDateTime',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseDateTime(value) !== null,
        defaultMessage: () => `$property must be ${DATE_TIME_FORMAT}`,
      },
    },
    options,
  );
}

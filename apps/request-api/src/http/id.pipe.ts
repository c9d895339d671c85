import { PipeTransform } from '@nestjs/common';
import { ID_REGEX, NotFound } from '@bulk-export/domain';

/**
 * A route's id parameter (`@Param('id', new IdParam('export'))`): a value that cannot be an
 * id names nothing, so it is a 404 for `what`, answered before any query.
 */
export class IdParam implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!ID_REGEX.test(value)) throw new NotFound(this.what, value);
    return value;
  }
}

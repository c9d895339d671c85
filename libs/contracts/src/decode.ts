import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

type MessageClass<T> = new () => T;

/** Turns the bytes of a Kafka message into a validated contract object, or says why not. */
export function decodeMessage<T extends object>(cls: MessageClass<T>, bytes: Buffer | null | undefined): Decoded<T> {
  if (!bytes || bytes.length === 0) return { ok: false, reason: 'empty message' };
  let plain: unknown;
  try {
    plain = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const value = plainToInstance(cls, plain);
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) return { ok: false, reason: errors.map(describe).join('; ') };
  return { ok: true, value };
}

export function describe(error: ValidationError): string {
  const constraints = Object.values(error.constraints ?? {});
  const own = constraints.length ? constraints.join(', ') : 'is invalid';
  const nested = (error.children ?? []).map((c) => `${error.property}.${describe(c)}`);
  return nested.length ? nested.join('; ') : `${error.property}: ${own}`;
}

/** Serialises a contract object for Kafka. */
export function encodeMessage(message: object): Buffer {
  return Buffer.from(JSON.stringify(message));
}

import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { findInputProblems } from './input-problems';

/** Deepest nesting accepted in a message or request body. */
export const MAX_DEPTH = 32;

/** How deeply a parsed JSON value nests (without recursion, so any input is safe). */
export function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > 10_000) break;
    for (const child of Object.values(v as object)) stack.push([child, depth + 1]);
  }
  return deepest;
}

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
  if (depthOf(plain) > MAX_DEPTH) return { ok: false, reason: `nested deeper than ${MAX_DEPTH} levels` };
  const problems = findInputProblems(plain);
  if (problems.length > 0) return { ok: false, reason: problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
  try {
    const value = plainToInstance(cls, plain);
    const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) return { ok: false, reason: errors.map(describe).join('; ') };
    return { ok: true, value };
  } catch (e) {
    // Hostile shapes (e.g. `__proto__` or `constructor` keys) must not take a consumer down.
    return { ok: false, reason: `could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
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

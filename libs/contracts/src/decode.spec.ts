import { decodeMessage } from './decode';
import { PlanRunCommand } from './messages';

const valid = { version: 1, runId: '01JDQ7Z8X9K2M3N4P5Q6R7S8T9', exportId: '01JDQ7Z8X9K2M3N4P5Q6R7S8TA', attempt: 1 };

describe('decodeMessage', () => {
  it('accepts a valid message', () => {
    const result = decodeMessage(PlanRunCommand, Buffer.from(JSON.stringify(valid)));
    expect(result).toEqual({ ok: true, value: expect.objectContaining(valid) });
  });
  it.each([
    [null, 'empty message'],
    [Buffer.from('{'), 'not valid JSON'],
    [Buffer.from('[1]'), 'not a JSON object'],
  ])('refuses %p with "%s"', (bytes, reason) => {
    expect(decodeMessage(PlanRunCommand, bytes as Buffer | null)).toEqual({ ok: false, reason });
  });
  it('refuses hostile shapes without throwing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(decodeMessage(PlanRunCommand, Buffer.from(JSON.stringify({ ...valid, deep })))).toEqual({
      ok: false,
      reason: 'nested deeper than 32 levels',
    });
    for (const text of ['{"__proto__": {"x": 1}}', '{"constructor": {"prototype": 1}}', '{"constructor": null}']) {
      expect(decodeMessage(PlanRunCommand, Buffer.from(text)).ok).toBe(false);
    }
  });

  it('names the fields that are wrong, including unknown ones', () => {
    const result = decodeMessage(
      PlanRunCommand,
      Buffer.from(JSON.stringify({ ...valid, version: 2, runId: 'x', extra: 1 })),
    );
    expect(result.ok).toBe(false);
    const reason = (result as { reason: string }).reason;
    expect(reason).toContain('version');
    expect(reason).toContain('runId');
    expect(reason).toContain('extra');
  });
});

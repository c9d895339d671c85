import { decodeExportEvent } from './decode-export-event';

const event = {
  version: 1,
  type: 'export-status',
  exportId: '01JDQ7Z8X9K2M3N4P5Q6R7S8T9',
  accountId: '01JDQ7Z8X9K2M3N4P5Q6R7S8TA',
  status: 'stopped',
  at: '2026-12-01T10:00:00.000Z',
};

describe('decodeExportEvent', () => {
  it('gives a status change with an id that is the same for every copy of the message', () => {
    const first = decodeExportEvent(Buffer.from(JSON.stringify(event)));
    const again = decodeExportEvent(Buffer.from(JSON.stringify(event)));
    const later = decodeExportEvent(Buffer.from(JSON.stringify({ ...event, at: '2026-12-01T10:00:00.001Z' })));
    expect(first).toEqual({
      ok: true,
      value: { event: expect.objectContaining({ status: 'stopped' }), id: expect.stringMatching(/^evt_[0-9a-f]{32}$/) },
    });
    expect(first.ok && again.ok && first.value.id === again.value.id).toBe(true);
    expect(first.ok && later.ok && first.value.id !== later.value.id).toBe(true);
  });

  it("passes over the topic's other messages and refuses a broken status change", () => {
    const result = decodeExportEvent(
      Buffer.from(
        JSON.stringify({
          version: 1,
          type: 'command-result',
          command: 'create-export',
          status: 'accepted',
          at: event.at,
        }),
      ),
    );
    expect(result).toEqual({ ok: true, value: { event: null, id: expect.any(String) } });
    expect(decodeExportEvent(Buffer.from(JSON.stringify({ ...event, status: 'exploded' })))).toEqual({
      ok: false,
      reason: expect.stringContaining('status'),
    });
    expect(decodeExportEvent(Buffer.from('not json'))).toEqual({ ok: false, reason: 'not valid JSON' });
  });
});

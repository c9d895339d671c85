import { readPage } from './page';

describe('readPage', () => {
  const rows = ['r5', 'r4', 'r3', 'r2', 'r1'].map((id) => ({ id }));
  const read = (limit: number, cursor?: string) =>
    Promise.resolve(rows.filter((r) => !cursor || r.id < cursor).slice(0, limit));

  it('reads one row more than the page to know whether another follows', async () => {
    const asked: number[] = [];
    const page = await readPage({ limit: 2 }, (limit, cursor) => (asked.push(limit), read(limit, cursor)));
    expect(asked).toEqual([3]);
    expect(page).toEqual({ items: [{ id: 'r5' }, { id: 'r4' }], nextCursor: 'r4' });
  });

  it('continues from the cursor and ends with a null cursor', async () => {
    expect(await readPage({ limit: 2, cursor: 'r3' }, read)).toEqual({
      items: [{ id: 'r2' }, { id: 'r1' }],
      nextCursor: null,
    });
  });

  it('takes 20 by default', async () => {
    let asked = 0;
    await readPage({}, (limit) => ((asked = limit), Promise.resolve([])));
    expect(asked).toBe(21);
  });
});

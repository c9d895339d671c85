import { PageQuery } from './page.query';

/** A page of a list, newest first, and the cursor of the next one (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const DEFAULT_LIMIT = 20;

/**
 * Reads one page with `read(limit + 1, cursor)`: the extra row only says whether there is
 * a next page, whose cursor is the id of this page's last item.
 */
export async function readPage<T extends { id: string }>(
  query: PageQuery,
  read: (limit: number, cursor?: string) => Promise<T[]>,
): Promise<Page<T>> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const rows = await read(limit + 1, query.cursor);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
}

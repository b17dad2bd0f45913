// Page through ?after=<cursor> until a page shorter than `limit` comes back.

export const CATCH_UP_LIMIT = 50;
export const MAX_CATCH_UP_PAGES = 200;

/**
 * fetchPage({after, limit}) -> Promise<messages[]> (oldest first)
 * onPage(messages) is called for every page, in order.
 * Returns the number of messages fetched.
 */
export async function catchUp({ fetchPage, onPage, after, limit = CATCH_UP_LIMIT, maxPages = MAX_CATCH_UP_PAGES }) {
  let cursor = after;
  let total = 0;
  for (let page = 0; page < maxPages; page += 1) {
    const messages = await fetchPage({ after: cursor, limit });
    const list = Array.isArray(messages) ? messages : [];
    onPage(list);
    total += list.length;
    if (list.length < limit) break;
    const next = list.reduce((m, msg) => (Number(msg.seq) > m ? Number(msg.seq) : m), cursor ?? 0);
    if (next === cursor) break; // no progress: stop rather than loop
    cursor = next;
  }
  return total;
}

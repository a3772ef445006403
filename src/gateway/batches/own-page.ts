/**
 * A page of a tenant's records of one kind (its OpenAI batches, its
 * Anthropic batches, its files of one purpose). The store lists all of a
 * tenant's records newest first; records of the other kind are skipped
 * here, page after page, so a page still holds `limit` records when there
 * are that many.
 */
import type { ListPage } from '../../batches/batch-store.js';

export interface OwnPage<T> {
  /** Newest first. */
  readonly data: T[];
  readonly hasMore: boolean;
}

/** Store pages of at least this many records, so a page of few kept ones costs few calls. */
const STORE_PAGE = 100;

/**
 * Records older than `after` (or the newest), or with `before` the ones just
 * newer than it; `list` is the store's listing (records newest first;
 * `before`: those just newer than the cursor).
 */
export async function ownPage<T extends { readonly id: string }>(
  list: (page: ListPage) => Promise<T[]>,
  keep: (record: T) => boolean,
  cursor: { after?: string | undefined; before?: string | undefined; limit: number },
): Promise<OwnPage<T>> {
  const want = cursor.limit + 1;
  const size = Math.max(want, STORE_PAGE);
  const kept: T[] = [];
  if (cursor.before !== undefined) {
    // Walk towards newer records: nearest the cursor first.
    let before: string = cursor.before;
    while (kept.length < want) {
      const raw = await list({ before, limit: size });
      for (const r of [...raw].reverse()) if (keep(r)) kept.push(r);
      if (raw.length < size || raw[0] === undefined) break;
      before = raw[0].id;
    }
    const data = kept.slice(0, cursor.limit).reverse();
    return { data, hasMore: kept.length > cursor.limit };
  }
  let after = cursor.after;
  while (kept.length < want) {
    const raw = await list({ after, limit: size });
    for (const r of raw) if (keep(r)) kept.push(r);
    const last = raw.at(-1);
    if (raw.length < size || last === undefined) break;
    after = last.id;
  }
  return { data: kept.slice(0, cursor.limit), hasMore: kept.length > cursor.limit };
}

/** `limit` from the query: `fallback` when absent, undefined when not a whole number in [1, max]. */
export function limitParam(query: URLSearchParams, fallback: number, max: number): number | undefined {
  const raw = query.get('limit');
  if (raw === null) return fallback;
  const limit = Number(raw);
  return Number.isInteger(limit) && limit >= 1 && limit <= max ? limit : undefined;
}

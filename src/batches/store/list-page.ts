/**
 * Pages of a tenant's files or batches, newest first, the same way in every
 * store: records are ordered by `createdAt` descending and, at equal times,
 * by id descending (the order of a Redis sorted set read in reverse), and a
 * page is the slice of that order the cursors and the limit leave.
 */
import type { ListPage } from '../batch-store.js';

/** The order of a tenant's list: newest first, ties by id (descending, code-unit order). */
export function newestFirst(
  a: { readonly createdAt: number; readonly id: string },
  b: { readonly createdAt: number; readonly id: string },
): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Where a cursor id sits in the list: its 0-based rank, `null` when the
 * list does not hold it, `undefined` when the page names no such cursor.
 */
export type CursorRank = number | null | undefined;

/**
 * The slice `[start, end)` of a newest-first list of `count` records that
 * `page` asks for. `after` starts just past its record (older ones);
 * `before` ends just short of its record and, without `after`, takes the
 * `limit` records nearest to it (Anthropic's `before_id`). A cursor the
 * list does not hold (a deleted record) yields an empty page rather than a
 * page from somewhere else.
 */
export function pageSlice(
  count: number,
  page: ListPage,
  after: CursorRank,
  before: CursorRank,
): { start: number; end: number } {
  const empty = { start: 0, end: 0 };
  if (after === null || before === null || page.limit <= 0) return empty;
  let start = after === undefined ? 0 : after + 1;
  let end = before === undefined ? count : before;
  if (before !== undefined && after === undefined) start = Math.max(start, end - page.limit);
  else end = Math.min(end, start + page.limit);
  return start < end ? { start, end } : empty;
}

/**
 * The file store's in-memory lists of each tenant's files or batches, kept
 * in `newestFirst` order as records come and go, so a page is a slice.
 */
import type { ListPage } from '../batch-store.js';
import { newestFirst, pageSlice } from './list-page.js';

interface Listed {
  readonly id: string;
  readonly tenant: string;
  readonly createdAt: number;
}

export class TenantLists<T extends Listed> {
  private readonly byTenant = new Map<string, T[]>();

  add(record: T): void {
    const list = this.byTenant.get(record.tenant) ?? [];
    this.byTenant.set(record.tenant, list);
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (newestFirst(list[mid] as T, record) < 0) low = mid + 1;
      else high = mid;
    }
    list.splice(low, 0, record);
  }

  remove(record: T): void {
    const list = this.byTenant.get(record.tenant);
    const at = list?.findIndex((r) => r.id === record.id) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
  }

  /** Puts a new version of a record in place of the old (same id, tenant and createdAt). */
  replace(record: T): void {
    const list = this.byTenant.get(record.tenant);
    const at = list?.findIndex((r) => r.id === record.id) ?? -1;
    if (list && at >= 0) list[at] = record;
  }

  page(tenant: string, page: ListPage): T[] {
    const list = this.byTenant.get(tenant) ?? [];
    const rank = (id: string | undefined) => {
      if (id === undefined) return undefined;
      const at = list.findIndex((r) => r.id === id);
      return at < 0 ? null : at;
    };
    const { start, end } = pageSlice(list.length, page, rank(page.after), rank(page.before));
    return list.slice(start, end);
  }
}

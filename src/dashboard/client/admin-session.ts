/**
 * The admin key, kept in this tab's `sessionStorage` only: it survives a
 * reload, not closing the tab, and is never written into a URL or cookie.
 */

const STORAGE_KEY = 'sluice.adminKey';

export class AdminSession {
  constructor(private readonly storage: Storage) {}

  get key(): string | undefined {
    try {
      return this.storage.getItem(STORAGE_KEY) ?? undefined;
    } catch {
      // Storage can be off (privacy settings): the key then lasts until the page is left.
      return undefined;
    }
  }

  set(key: string): void {
    try {
      this.storage.setItem(STORAGE_KEY, key);
    } catch {
      // See above.
    }
  }

  clear(): void {
    try {
      this.storage.removeItem(STORAGE_KEY);
    } catch {
      // See above.
    }
  }
}

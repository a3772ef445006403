/**
 * Idempotency records in this process: a `Map` in insertion order, bounded
 * by `maxEntries` (the oldest finished record goes first) and by each
 * record's time to live, judged by the `now` each call passes.
 */
import { randomUUID } from 'node:crypto';
import type { Claim, ClaimRequest, IdempotencyStore, StoredAnswer } from './idempotency-store.js';

type Entry =
  | { state: 'running'; fingerprint: string; token: string; until: number }
  | { state: 'done'; fingerprint: string; answer: StoredAnswer; until: number };

export const DEFAULT_MAX_IDEMPOTENCY_ENTRIES = 10_000;

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = DEFAULT_MAX_IDEMPOTENCY_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  async claim({ scope, fingerprint, now, leaseMs }: ClaimRequest): Promise<Claim> {
    const entry = this.entries.get(scope);
    if (entry && entry.until > now) {
      if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return entry.state === 'done' ? { kind: 'done', answer: entry.answer } : { kind: 'running' };
    }
    const token = randomUUID();
    this.entries.delete(scope);
    this.entries.set(scope, { state: 'running', fingerprint, token, until: now + leaseMs });
    this.evict(now);
    return { kind: 'first', token };
  }

  async complete(
    scope: string,
    token: string,
    answer: StoredAnswer,
    ttlMs: number,
    now: number,
  ): Promise<void> {
    const entry = this.entries.get(scope);
    if (entry?.state !== 'running' || entry.token !== token) return;
    this.entries.delete(scope);
    this.entries.set(scope, { state: 'done', fingerprint: entry.fingerprint, answer, until: now + ttlMs });
  }

  async release(scope: string, token: string): Promise<void> {
    const entry = this.entries.get(scope);
    if (entry?.state === 'running' && entry.token === token) this.entries.delete(scope);
  }

  async renew(scope: string, token: string, leaseMs: number, now: number): Promise<void> {
    const entry = this.entries.get(scope);
    if (entry?.state === 'running' && entry.token === token) entry.until = now + leaseMs;
  }

  /** Over the bound: expired records first, then the oldest finished ones (a running one is never dropped). */
  private evict(now: number): void {
    if (this.entries.size <= this.maxEntries) return;
    for (const [scope, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) return;
      if (entry.until <= now || entry.state === 'done') this.entries.delete(scope);
    }
  }
}

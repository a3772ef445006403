/**
 * An in-memory `BatchStore` for the batch API's tests: the port's contract
 * kept faithfully (the contract suite runs on it too: newest-first listing
 * with `after`/`before` cursors, conditional transitions, leases, the first
 * result per line wins), nothing on disk or in Redis.
 */
import {
  type BatchLine,
  type BatchProgress,
  type BatchRecord,
  type BatchStatus,
  type ClaimedLine,
  ENDED_STATUSES,
  type FileRecord,
  type LineResult,
} from '../../src/batches/batch.js';
import type { BatchStore, ClaimOptions, ListPage } from '../../src/batches/batch-store.js';
import { endedResult } from '../../src/batches/store/ended-result.js';
import { newestFirst, pageSlice } from '../../src/batches/store/list-page.js';

interface StoredBatch {
  record: BatchRecord;
  readonly lines: readonly BatchLine[];
  readonly results: Map<number, LineResult>;
  /** Line index → end of its claim. */
  readonly leases: Map<number, number>;
}

export class FakeBatchStore implements BatchStore {
  private readonly files = new Map<string, { record: FileRecord; content: Uint8Array | undefined }>();
  private readonly batches = new Map<string, StoredBatch>();

  async putFile(file: FileRecord, content: Uint8Array): Promise<void> {
    this.files.set(file.id, { record: file, content: new Uint8Array(content) });
  }

  async file(id: string): Promise<FileRecord | undefined> {
    return this.files.get(id)?.record;
  }

  async fileContent(id: string): Promise<Uint8Array | undefined> {
    return this.files.get(id)?.content;
  }

  async deleteFile(id: string): Promise<boolean> {
    return this.files.delete(id);
  }

  async listFiles(tenant: string, page: ListPage): Promise<FileRecord[]> {
    const own = [...this.files.values()].filter((f) => f.record.tenant === tenant);
    return pageOf(own, page).map((f) => f.record);
  }

  async createBatch(
    batch: BatchRecord,
    lines: readonly BatchLine[],
    known: readonly LineResult[],
  ): Promise<void> {
    if (this.batches.has(batch.id)) throw new Error(`batch ${batch.id} exists`);
    const results = new Map<number, LineResult>();
    for (const r of known) results.set(r.index, r);
    this.batches.set(batch.id, {
      record: batch,
      lines: [...lines],
      results,
      leases: new Map(),
    });
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    return this.batches.get(id)?.record;
  }

  async deleteBatch(id: string): Promise<boolean> {
    const b = this.batches.get(id);
    if (!b || !ENDED_STATUSES.has(b.record.status)) return false;
    return this.batches.delete(id);
  }

  async listBatches(tenant: string, page: ListPage): Promise<BatchRecord[]> {
    const own = [...this.batches.values()].filter((b) => b.record.tenant === tenant);
    return pageOf(own, page).map((b) => b.record);
  }

  async activeBatches(): Promise<BatchRecord[]> {
    return [...this.batches.values()]
      .filter((b) => !ENDED_STATUSES.has(b.record.status))
      .map((b) => b.record);
  }

  async transition(
    id: string,
    from: readonly BatchStatus[],
    change: (batch: BatchRecord) => BatchRecord,
  ): Promise<BatchRecord | undefined> {
    const b = this.batches.get(id);
    if (!b || !from.includes(b.record.status)) return undefined;
    b.record = change(b.record);
    return b.record;
  }

  async claim(batchId: string, options: ClaimOptions, now: number): Promise<ClaimedLine[]> {
    const b = this.batches.get(batchId);
    if (!b) return [];
    const claimed: ClaimedLine[] = [];
    for (const line of b.lines) {
      if (claimed.length >= options.max) break;
      if (b.results.has(line.index)) continue;
      const until = b.leases.get(line.index);
      if (until !== undefined && until > now) continue;
      const leaseUntil = now + options.leaseMs;
      b.leases.set(line.index, leaseUntil);
      claimed.push({ batchId, line, leaseUntil });
    }
    return claimed;
  }

  async renew(claims: readonly ClaimedLine[], leaseMs: number, now: number): Promise<void> {
    for (const c of claims) {
      const b = this.batches.get(c.batchId);
      const until = b?.leases.get(c.line.index);
      if (b && until !== undefined && until > now && !b.results.has(c.line.index)) {
        b.leases.set(c.line.index, now + leaseMs);
      }
    }
  }

  async release(claim: ClaimedLine): Promise<void> {
    this.batches.get(claim.batchId)?.leases.delete(claim.line.index);
  }

  async complete(batchId: string, result: LineResult): Promise<boolean> {
    const b = this.batches.get(batchId);
    if (!b || b.results.has(result.index)) return false;
    b.results.set(result.index, result);
    b.leases.delete(result.index);
    return true;
  }

  async endRemaining(batchId: string, outcome: 'canceled' | 'expired', _now: number): Promise<number> {
    const b = this.batches.get(batchId);
    if (!b) return 0;
    let ended = 0;
    for (const line of b.lines) {
      if (b.results.has(line.index)) continue;
      b.results.set(line.index, endedResult(line.index, line.customId, outcome));
      b.leases.delete(line.index);
      ended++;
    }
    return ended;
  }

  async progress(batchId: string): Promise<BatchProgress> {
    const b = this.batches.get(batchId);
    const p = { total: b?.record.total ?? 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    for (const r of b?.results.values() ?? []) p[r.outcome]++;
    return p;
  }

  async results(batchId: string): Promise<LineResult[]> {
    const b = this.batches.get(batchId);
    return b ? [...b.results.values()].sort((x, y) => x.index - y.index) : [];
  }

  async close(): Promise<void> {}
}

/** The real stores' order and cursors (newest first, ties by id), over whatever is stored now. */
function pageOf<T extends { record: { id: string; tenant: string; createdAt: number } }>(
  items: T[],
  page: ListPage,
): T[] {
  const sorted = items.sort((a, b) => newestFirst(a.record, b.record));
  const rank = (id: string | undefined) => {
    if (id === undefined) return undefined;
    const at = sorted.findIndex((i) => i.record.id === id);
    return at < 0 ? null : at;
  };
  const { start, end } = pageSlice(sorted.length, page, rank(page.after), rank(page.before));
  return sorted.slice(start, end);
}

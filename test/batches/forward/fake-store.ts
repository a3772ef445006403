/**
 * The BatchStore port in memory, for tests of what runs on it (the real
 * stores, FileBatchStore and RedisBatchStore, have their own contract
 * suite). Faithful where callers can tell: records are copied in and out
 * (a caller holding one sees no later change), `transition` applies only
 * from the listed statuses, claims end with their lease or a release,
 * `complete` keeps the first result per line.
 */
import type {
  BatchLine,
  BatchProgress,
  BatchRecord,
  BatchStatus,
  ClaimedLine,
  FileRecord,
  LineResult,
} from '../../../src/batches/batch.js';
import { ENDED_STATUSES } from '../../../src/batches/batch.js';
import type { BatchStore, ClaimOptions, ListPage } from '../../../src/batches/batch-store.js';

interface StoredBatch {
  record: BatchRecord;
  readonly lines: readonly BatchLine[];
  readonly results: Map<number, LineResult>;
  /** Line index → lease end (0: released). */
  readonly leases: Map<number, number>;
}

const copy = <T>(v: T): T => structuredClone(v);

export class FakeBatchStore implements BatchStore {
  private readonly files = new Map<string, { record: FileRecord; content: Uint8Array }>();
  private readonly batches = new Map<string, StoredBatch>();

  async putFile(file: FileRecord, content: Uint8Array): Promise<void> {
    this.files.set(file.id, { record: copy(file), content: new Uint8Array(content) });
  }

  async file(id: string): Promise<FileRecord | undefined> {
    const f = this.files.get(id);
    return f && copy(f.record);
  }

  async fileContent(id: string): Promise<Uint8Array | undefined> {
    const f = this.files.get(id);
    return f && new Uint8Array(f.content);
  }

  async deleteFile(id: string): Promise<boolean> {
    return this.files.delete(id);
  }

  async listFiles(tenant: string, page: ListPage): Promise<FileRecord[]> {
    const mine = [...this.files.values()].map((f) => f.record).filter((f) => f.tenant === tenant);
    return paged(mine.reverse(), page).map(copy);
  }

  async createBatch(
    batch: BatchRecord,
    lines: readonly BatchLine[],
    known: readonly LineResult[],
  ): Promise<void> {
    if (this.batches.has(batch.id)) throw new Error(`batch ${batch.id} exists`);
    this.batches.set(batch.id, {
      record: copy(batch),
      lines: copy(lines),
      results: new Map(known.map((r) => [r.index, copy(r)])),
      leases: new Map(),
    });
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    const b = this.batches.get(id);
    return b && copy(b.record);
  }

  async listBatches(tenant: string, page: ListPage): Promise<BatchRecord[]> {
    const mine = [...this.batches.values()].map((b) => b.record).filter((b) => b.tenant === tenant);
    return paged(mine.reverse(), page).map(copy);
  }

  async activeBatches(): Promise<BatchRecord[]> {
    return [...this.batches.values()]
      .map((b) => b.record)
      .filter((b) => !ENDED_STATUSES.has(b.status))
      .map(copy);
  }

  async transition(
    id: string,
    from: readonly BatchStatus[],
    change: (batch: BatchRecord) => BatchRecord,
  ): Promise<BatchRecord | undefined> {
    const b = this.batches.get(id);
    if (!b || !from.includes(b.record.status)) return undefined;
    b.record = copy(change(copy(b.record)));
    return copy(b.record);
  }

  async claim(batchId: string, options: ClaimOptions, now: number): Promise<ClaimedLine[]> {
    const b = this.batches.get(batchId);
    if (!b) return [];
    const leaseUntil = now + options.leaseMs;
    const out: ClaimedLine[] = [];
    for (const line of b.lines) {
      if (out.length >= options.max) break;
      if (b.results.has(line.index) || (b.leases.get(line.index) ?? 0) > now) continue;
      b.leases.set(line.index, leaseUntil);
      out.push({ batchId, line: copy(line), leaseUntil });
    }
    return out;
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
    this.batches.get(claim.batchId)?.leases.set(claim.line.index, 0);
  }

  async complete(batchId: string, result: LineResult): Promise<boolean> {
    const b = this.batches.get(batchId);
    if (!b || b.results.has(result.index)) return false;
    b.results.set(result.index, copy(result));
    b.leases.delete(result.index);
    return true;
  }

  async endRemaining(batchId: string, outcome: 'canceled' | 'expired', _now: number): Promise<number> {
    const b = this.batches.get(batchId);
    if (!b) return 0;
    let n = 0;
    for (const line of b.lines) {
      if (b.results.has(line.index)) continue;
      b.results.set(line.index, {
        index: line.index,
        customId: line.customId,
        outcome,
        status: 0,
        requestId: '',
        error:
          outcome === 'canceled'
            ? {
                code: 'batch_cancelled',
                message: 'This request was not executed because the batch was cancelled.',
              }
            : {
                code: 'batch_expired',
                message: 'This request could not be executed before the batch expired.',
              },
      });
      n++;
    }
    return n;
  }

  async progress(batchId: string): Promise<BatchProgress> {
    const b = this.batches.get(batchId);
    const p = { total: b?.record.total ?? 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    for (const r of b?.results.values() ?? []) p[r.outcome]++;
    return p;
  }

  async results(batchId: string): Promise<LineResult[]> {
    const b = this.batches.get(batchId);
    return [...(b?.results.values() ?? [])].sort((x, y) => x.index - y.index).map(copy);
  }

  async close(): Promise<void> {}
}

/** Newest-first records after `after` / before `before`, at most `limit`. */
function paged<T extends { id: string }>(newestFirst: readonly T[], page: ListPage): T[] {
  let from = 0;
  let to = newestFirst.length;
  if (page.after !== undefined) from = newestFirst.findIndex((r) => r.id === page.after) + 1;
  if (page.before !== undefined)
    to = Math.max(
      0,
      newestFirst.findIndex((r) => r.id === page.before),
    );
  if (page.before !== undefined) return newestFirst.slice(Math.max(from, to - page.limit), to);
  return newestFirst.slice(from, Math.min(to, from + page.limit));
}

/**
 * Where the background lane keeps its files, batches, lines and results:
 * the port, narrower than either backend. `FileBatchStore` (memory store:
 * files under `data_dir`, crash-safe) and `RedisBatchStore` (Redis store:
 * any instance works on any batch) implement it; one contract suite
 * (test/batches/batch-store-contract.ts) runs against both.
 *
 * Exactly once: a line may run more than once (its instance died after the
 * call went upstream and before its result was written, and the line was
 * taken up again after its lease), but `complete` keeps only the first
 * result per line, so every `custom_id` appears once in the output.
 */
import type {
  BatchLine,
  BatchProgress,
  BatchRecord,
  BatchStatus,
  ClaimedLine,
  FileRecord,
  LineResult,
} from './batch.js';

export interface ListPage {
  /** Return records older than this id (the cursor of OpenAI's `after`, Anthropic's `after_id`). */
  readonly after?: string | undefined;
  /** Return records newer than this id (Anthropic's `before_id`). */
  readonly before?: string | undefined;
  readonly limit: number;
}

export interface ClaimOptions {
  /** Names the instance taking the lines (for logs; leases end claims, not names). */
  readonly instance: string;
  readonly leaseMs: number;
  /** At most this many lines. */
  readonly max: number;
}

export interface BatchStore {
  // --- files ---
  putFile(file: FileRecord, content: Uint8Array): Promise<void>;
  file(id: string): Promise<FileRecord | undefined>;
  fileContent(id: string): Promise<Uint8Array | undefined>;
  /** Removes the file and its content; false when there was none. */
  deleteFile(id: string): Promise<boolean>;
  /** A tenant's files, newest first. */
  listFiles(tenant: string, page: ListPage): Promise<FileRecord[]>;

  // --- batches ---
  /**
   * Stores a new batch with its lines and the results already known (lines
   * that could not be read become `errored` results at once). Atomic: after
   * a crash the batch is there whole or not at all.
   */
  createBatch(batch: BatchRecord, lines: readonly BatchLine[], known: readonly LineResult[]): Promise<void>;
  batch(id: string): Promise<BatchRecord | undefined>;
  /** A tenant's batches, newest first. */
  listBatches(tenant: string, page: ListPage): Promise<BatchRecord[]>;
  /**
   * Removes an ended batch with its lines and results (Anthropic's `DELETE
   * /v1/messages/batches/{id}`); false when there was none or it has not ended.
   */
  deleteBatch(id: string): Promise<boolean>;
  /** Batches not ended yet, any tenant (the runner's, expiry's and forwarding's work list). */
  activeBatches(): Promise<BatchRecord[]>;
  /**
   * Moves a batch on, only if its status is one of `from` (two instances may
   * try the same move: one wins). Returns the new record, or undefined when
   * the batch is gone or in another status.
   */
  transition(
    id: string,
    from: readonly BatchStatus[],
    change: (batch: BatchRecord) => BatchRecord,
  ): Promise<BatchRecord | undefined>;

  // --- lines ---
  /**
   * Takes up to `max` lines of the batch that have no result and no live
   * claim (never claimed, released, or their claimer's lease ended).
   */
  claim(batchId: string, options: ClaimOptions, now: number): Promise<ClaimedLine[]>;
  /** Extends live claims (an instance still working on them). */
  renew(claims: readonly ClaimedLine[], leaseMs: number, now: number): Promise<void>;
  /** Gives a claimed line back unrun (shutting down): another instance may take it at once. */
  release(claim: ClaimedLine): Promise<void>;
  /** Writes a line's result unless it has one; true when this one was kept. */
  complete(batchId: string, result: LineResult): Promise<boolean>;
  /** Ends every line without a result as `outcome` (a batch cancelled or expired). */
  endRemaining(batchId: string, outcome: 'canceled' | 'expired', now: number): Promise<number>;
  progress(batchId: string): Promise<BatchProgress>;
  /** Every result written, in line order. */
  results(batchId: string): Promise<LineResult[]>;

  close(): Promise<void>;
}

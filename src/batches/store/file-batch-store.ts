/**
 * The memory store's `BatchStore`: files, batches, lines and results under
 * `data_dir`, owned by one process (claims and leases live in memory, so
 * two processes must not share a directory: `owner.pid` guards it, see
 * data-dir-lock.ts).
 *
 * Layout under `dir`:
 *
 *   files/<id>.json              the FileRecord (replaced whole: temp + fsync + rename)
 *   files/<id>.bin               its bytes (written before the record, removed after it)
 *   batches/<id>/batch.json      the BatchRecord (replaced whole on every transition)
 *   batches/<id>/lines.jsonl     the lines, one JSON BatchLine a line (written once)
 *   batches/<id>/results.jsonl   results, appended and fsynced (first per line index wins)
 *   owner.pid                    the owning process (data-dir-lock.ts)
 *   .tmp-*                       anything half-written by a crash; removed when the store opens
 *
 * A batch is created as a `batches/.tmp-<id>-…` directory holding all three
 * files, fsynced, then renamed into place: after a crash it is there whole
 * or not at all. A file's record is the commit point of the file: a `.bin`
 * without its `.json` is removed at open.
 *
 * The directory is scanned once, on first use, into an in-memory index of
 * file and batch records; a batch's results and lines are read when first
 * needed (a torn last result line, left by a crash mid-append, is cut off
 * then). After a restart nothing is claimed: every line without a result
 * can be claimed at once.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BatchLine,
  type BatchProgress,
  type BatchRecord,
  type BatchStatus,
  type ClaimedLine,
  ENDED_STATUSES,
  type FileRecord,
  type LineOutcome,
  type LineResult,
} from '../batch.js';
import type { BatchStore, ClaimOptions, ListPage } from '../batch-store.js';
import { BatchLines } from './batch-lines.js';
import { lockDataDir } from './data-dir-lock.js';
import { removeFile, replaceFile, syncDir, TEMP_PREFIX, tempSibling, writeSynced } from './durable-fs.js';
import { type EndOutcome, endedResult } from './ended-result.js';
import { DuplicateBatchError, InvalidStoreIdError } from './errors.js';
import { openResultsLog, parseResults, type ResultsLog } from './results-log.js';
import { TenantLists } from './tenant-lists.js';

export interface FileBatchStoreOptions {
  /** `data_dir`: created (mkdir -p) on first use. */
  readonly dir: string;
}

const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/;

function safeId(id: string): string {
  if (!SAFE_ID.test(id)) throw new InvalidStoreIdError(`"${id}" cannot name a file or batch on disk`);
  return id;
}

/** What is known of a batch's results, read once from its log. */
interface BatchResults {
  readonly log: ResultsLog;
  readonly done: Set<number>;
  readonly counts: Record<LineOutcome, number>;
  /** Completions whose append is not durable yet: a duplicate waits for the first. */
  readonly inflight: Map<number, Promise<void>>;
}

interface BatchEntry {
  record: BatchRecord;
  readonly dir: string;
  results?: Promise<BatchResults>;
  lines?: Promise<BatchLines>;
  /** Record writes, in order, so the last one on disk is the latest record. */
  recordWrites: Promise<void>;
}

interface Index {
  readonly files: Map<string, FileRecord>;
  readonly batches: Map<string, BatchEntry>;
  readonly filesByTenant: TenantLists<FileRecord>;
  readonly batchesByTenant: TenantLists<BatchRecord>;
}

export class FileBatchStore implements BatchStore {
  private readonly dir: string;
  private readonly filesDir: string;
  private readonly batchesDir: string;
  private index?: Promise<Index>;
  private unlock: () => Promise<void> = async () => {};
  /** Ids of batches being created: a second create of the same id fails at once. */
  private readonly creating = new Set<string>();

  constructor(options: FileBatchStoreOptions) {
    this.dir = options.dir;
    this.filesDir = join(options.dir, 'files');
    this.batchesDir = join(options.dir, 'batches');
  }

  // --- files ---

  async putFile(file: FileRecord, content: Uint8Array): Promise<void> {
    const id = safeId(file.id);
    const index = await this.loaded({ create: true });
    const bin = join(this.filesDir, `${id}.bin`);
    const temp = tempSibling(bin);
    await writeSynced(temp, [content]);
    await rename(temp, bin);
    await syncDir(this.filesDir);
    await replaceFile(join(this.filesDir, `${id}.json`), JSON.stringify(file));
    const previous = index.files.get(id);
    if (previous) index.filesByTenant.remove(previous);
    index.files.set(id, file);
    index.filesByTenant.add(file);
  }

  async file(id: string): Promise<FileRecord | undefined> {
    return (await this.loaded()).files.get(id);
  }

  async fileContent(id: string): Promise<Uint8Array | undefined> {
    if (!(await this.loaded()).files.has(id)) return undefined;
    try {
      return new Uint8Array(await readFile(join(this.filesDir, `${id}.bin`)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async deleteFile(id: string): Promise<boolean> {
    const index = await this.loaded();
    const file = index.files.get(id);
    if (!file) return false;
    index.files.delete(id);
    index.filesByTenant.remove(file);
    // The record first: once it is gone the file is; a crash before the content goes leaves an orphan the next open removes.
    await removeFile(join(this.filesDir, `${id}.json`));
    await removeFile(join(this.filesDir, `${id}.bin`));
    return true;
  }

  async listFiles(tenant: string, page: ListPage): Promise<FileRecord[]> {
    return (await this.loaded()).filesByTenant.page(tenant, page);
  }

  // --- batches ---

  async createBatch(
    batch: BatchRecord,
    lines: readonly BatchLine[],
    known: readonly LineResult[],
  ): Promise<void> {
    const id = safeId(batch.id);
    const index = await this.loaded({ create: true });
    if (index.batches.has(id) || this.creating.has(id)) throw new DuplicateBatchError(`batch ${id} exists`);
    this.creating.add(id);
    try {
      const dir = join(this.batchesDir, id);
      const temp = tempSibling(dir);
      try {
        await mkdir(temp);
        await writeSynced(join(temp, 'batch.json'), [JSON.stringify(batch)]);
        await writeSynced(join(temp, 'lines.jsonl'), jsonLines(lines));
        await writeSynced(join(temp, 'results.jsonl'), jsonLines(firstPerLine(known)));
        await syncDir(temp);
        await rename(temp, dir);
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        throw error;
      }
      await syncDir(this.batchesDir);
      index.batches.set(id, { record: batch, dir, recordWrites: Promise.resolve() });
      index.batchesByTenant.add(batch);
    } finally {
      this.creating.delete(id);
    }
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    return (await this.loaded()).batches.get(id)?.record;
  }

  async deleteBatch(id: string): Promise<boolean> {
    const index = await this.loaded();
    const entry = index.batches.get(id);
    // Nothing awaits between the check and the removal: of two racing deletes, one answers true.
    if (!entry || !ENDED_STATUSES.has(entry.record.status)) return false;
    index.batches.delete(id);
    index.batchesByTenant.remove(entry.record);
    await entry.recordWrites;
    if (entry.results) await (await entry.results).log.close();
    // One rename is the commit: a crash after it leaves a temp folder the next open removes.
    const doomed = tempSibling(entry.dir);
    await rename(entry.dir, doomed);
    await syncDir(this.batchesDir);
    await rm(doomed, { recursive: true, force: true });
    return true;
  }

  async listBatches(tenant: string, page: ListPage): Promise<BatchRecord[]> {
    return (await this.loaded()).batchesByTenant.page(tenant, page);
  }

  async activeBatches(): Promise<BatchRecord[]> {
    const active: BatchRecord[] = [];
    for (const entry of (await this.loaded()).batches.values()) {
      if (!ENDED_STATUSES.has(entry.record.status)) active.push(entry.record);
    }
    return active;
  }

  async transition(
    id: string,
    from: readonly BatchStatus[],
    change: (batch: BatchRecord) => BatchRecord,
  ): Promise<BatchRecord | undefined> {
    const index = await this.loaded();
    const entry = index.batches.get(id);
    // From here to the assignment nothing awaits: the check and the set are one step, so one of two racing moves wins.
    if (!entry || !from.includes(entry.record.status)) return undefined;
    const previous = entry.record;
    // Identity and place in the tenant's list are the creation's, whatever `change` returns.
    const next = {
      ...change(previous),
      id: previous.id,
      tenant: previous.tenant,
      createdAt: previous.createdAt,
    };
    entry.record = next;
    index.batchesByTenant.replace(next);
    const write = entry.recordWrites.then(() =>
      replaceFile(join(entry.dir, 'batch.json'), JSON.stringify(entry.record)),
    );
    entry.recordWrites = write.catch(() => {});
    await write;
    return next;
  }

  // --- lines ---

  async claim(batchId: string, options: ClaimOptions, now: number): Promise<ClaimedLine[]> {
    const entry = (await this.loaded()).batches.get(batchId);
    if (!entry || options.max <= 0) return [];
    const lines = await this.linesOf(entry);
    const leaseUntil = now + options.leaseMs;
    return lines.claim(options.max, now, leaseUntil).map((line) => ({ batchId, line, leaseUntil }));
  }

  async renew(claims: readonly ClaimedLine[], leaseMs: number, now: number): Promise<void> {
    const index = await this.loaded();
    for (const claim of claims) {
      const entry = index.batches.get(claim.batchId);
      if (entry) (await this.linesOf(entry)).renew(claim.line.index, now + leaseMs);
    }
  }

  async release(claim: ClaimedLine): Promise<void> {
    const entry = (await this.loaded()).batches.get(claim.batchId);
    if (entry) (await this.linesOf(entry)).release(claim.line.index);
  }

  async complete(batchId: string, result: LineResult): Promise<boolean> {
    const entry = (await this.loaded()).batches.get(batchId);
    if (!entry) return false;
    const results = await this.resultsOf(entry);
    for (;;) {
      const first = results.inflight.get(result.index);
      if (first) {
        // Kept only if the first completion fails to reach the disk.
        await first.catch(() => {});
        continue;
      }
      if (results.done.has(result.index)) return false;
      results.done.add(result.index);
      results.counts[result.outcome] += 1;
      const append = results.log.append(result);
      results.inflight.set(result.index, append);
      try {
        await append;
      } catch (error) {
        results.done.delete(result.index);
        results.counts[result.outcome] -= 1;
        throw error;
      } finally {
        results.inflight.delete(result.index);
      }
      if (entry.lines) (await entry.lines).finished(result.index);
      return true;
    }
  }

  async endRemaining(batchId: string, outcome: EndOutcome, _now: number): Promise<number> {
    const entry = (await this.loaded()).batches.get(batchId);
    if (!entry) return 0;
    const lines = await this.linesOf(entry);
    const kept = await Promise.all(
      [...lines.remaining()].map((line) =>
        this.complete(batchId, endedResult(line.index, line.customId, outcome)),
      ),
    );
    return kept.filter(Boolean).length;
  }

  async progress(batchId: string): Promise<BatchProgress> {
    const entry = (await this.loaded()).batches.get(batchId);
    if (!entry) return { total: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    const { counts } = await this.resultsOf(entry);
    return { total: entry.record.total, ...counts };
  }

  async results(batchId: string): Promise<LineResult[]> {
    const entry = (await this.loaded()).batches.get(batchId);
    if (!entry) return [];
    const results = await this.resultsOf(entry);
    await Promise.allSettled(results.inflight.values());
    // Read, not kept: a finished batch's results are rendered once, not held in memory.
    const logged = parseResults(await readFile(join(entry.dir, 'results.jsonl')));
    return firstPerLine(logged).sort((a, b) => a.index - b.index);
  }

  async close(): Promise<void> {
    // A store that never opened (no directory, or another owner's) holds nothing to close.
    const index = await this.index?.catch(() => undefined);
    if (!index) return;
    for (const entry of index.batches.values()) {
      await entry.recordWrites;
      if (entry.results) await (await entry.results).log.close();
    }
    await this.unlock();
  }

  // --- loading ---

  /**
   * The index, read once. Until something is written, a `data_dir` that does
   * not exist stays that way: reading it (the lane polls its active batches)
   * finds nothing and creates no folder, so a gateway that never takes a
   * batch leaves no trace on disk.
   */
  private async loaded(options: { create: boolean } = { create: false }): Promise<Index> {
    if (!this.index && !options.create && !existsSync(this.dir)) return emptyIndex();
    this.index ??= this.scan();
    return this.index;
  }

  /** Reads every record once; removes what a crash left half-written. */
  private async scan(): Promise<Index> {
    await mkdir(this.filesDir, { recursive: true });
    await mkdir(this.batchesDir, { recursive: true });
    this.unlock = await lockDataDir(this.dir);
    const index = emptyIndex();
    const names = new Set(await readdir(this.filesDir));
    for (const name of names) {
      const path = join(this.filesDir, name);
      if (name.startsWith(TEMP_PREFIX)) await rm(path, { force: true });
      else if (name.endsWith('.bin') && !names.has(`${name.slice(0, -4)}.json`))
        await rm(path, { force: true });
      else if (name.endsWith('.json')) {
        const file = JSON.parse(await readFile(path, 'utf8')) as FileRecord;
        index.files.set(file.id, file);
        index.filesByTenant.add(file);
      }
    }
    for (const name of await readdir(this.batchesDir)) {
      const dir = join(this.batchesDir, name);
      if (name.startsWith(TEMP_PREFIX)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const record = JSON.parse(await readFile(join(dir, 'batch.json'), 'utf8')) as BatchRecord;
      index.batches.set(record.id, { record, dir, recordWrites: Promise.resolve() });
      index.batchesByTenant.add(record);
    }
    await syncDir(this.filesDir);
    await syncDir(this.batchesDir);
    return index;
  }

  private resultsOf(entry: BatchEntry): Promise<BatchResults> {
    entry.results ??= (async () => {
      // A transition's temp file left by a crash.
      for (const name of await readdir(entry.dir)) {
        if (name.startsWith(TEMP_PREFIX)) await rm(join(entry.dir, name), { force: true });
      }
      const { log, results } = await openResultsLog(join(entry.dir, 'results.jsonl'));
      const done = new Set<number>();
      const counts: Record<LineOutcome, number> = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };
      for (const result of firstPerLine(results)) {
        done.add(result.index);
        counts[result.outcome] += 1;
      }
      return { log, done, counts, inflight: new Map() };
    })();
    return entry.results;
  }

  private linesOf(entry: BatchEntry): Promise<BatchLines> {
    entry.lines ??= (async () => {
      const { done } = await this.resultsOf(entry);
      const text = await readFile(join(entry.dir, 'lines.jsonl'), 'utf8');
      const lines = text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as BatchLine);
      return new BatchLines(lines, done);
    })();
    return entry.lines;
  }
}

/** The first result of every line index, in the order given. */
function firstPerLine(results: readonly LineResult[]): LineResult[] {
  const seen = new Set<number>();
  return results.filter((result) => !seen.has(result.index) && seen.add(result.index));
}

/** JSON lines, in chunks of about a megabyte (a 50,000-line batch is never one string). */
function* jsonLines(records: readonly unknown[]): Iterable<string> {
  let chunk = '';
  for (const record of records) {
    chunk += `${JSON.stringify(record)}\n`;
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

function emptyIndex(): Index {
  return {
    files: new Map(),
    batches: new Map(),
    filesByTenant: new TenantLists(),
    batchesByTenant: new TenantLists(),
  };
}

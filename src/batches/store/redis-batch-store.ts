/**
 * The Redis store's `BatchStore`: any instance works on any batch. Lines are
 * claimed with leases (a claimed line's score in `pending` is its lease
 * end), so a line whose instance died is taken up by another once the lease
 * ends; `complete` keeps the first result per line (HSETNX in one script),
 * so a line run twice still has one result. Key layout: batch-redis-keys.ts.
 *
 * Time: leases are judged by the `now` each call passes (the lane's
 * injected clock, which is the gateway's), never by Redis TIME; instances
 * must share a clock base as they already do for rate limits.
 *
 * Creation: lines, custom ids, pending lines and known results are written
 * in chunks under a staging TTL (a crash mid-way leaves keys that expire),
 * then one MULTI writes the record and counts and clears the TTLs: the
 * batch exists whole from that moment or not at all. The tenant index and
 * the active set (other slots) are written just before: an id there whose
 * record is missing is skipped by readers.
 */
import type { ChainableCommander } from 'ioredis';
import { type RedisClient, runScript } from '../../stores/redis/scripts.js';
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
import { BatchRedisKeys } from './batch-redis-keys.js';
import { type BatchScripts, loadBatchScripts } from './batch-scripts.js';
import { type EndOutcome, endedResult } from './ended-result.js';
import { BatchConflictError, DuplicateBatchError } from './errors.js';
import { pageSlice } from './list-page.js';

export interface RedisBatchStoreOptions {
  /** An ioredis client or cluster; the store does not close it. */
  readonly redis: RedisClient;
  /** Key prefix, brace-free (e.g. `sluice`; keys are `<prefix>:{b:<id>}:…`). */
  readonly prefix: string;
}

/** Fields per HSET/ZADD while creating a batch, and a byte budget per command. */
const CHUNK_LINES = 1_000;
const CHUNK_BYTES = 4 << 20;
/** Staged keys of a batch not committed yet expire after this (a creator that died). */
const STAGING_TTL_S = 3_600;
/** Transitions retried this often when other writers keep changing the record. */
const CAS_ATTEMPTS = 16;

const ZERO_COUNTS: Record<LineOutcome, number> = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };

export class RedisBatchStore implements BatchStore {
  private readonly redis: RedisClient;
  private readonly keys: BatchRedisKeys;
  private readonly scripts: BatchScripts = loadBatchScripts();

  constructor(options: RedisBatchStoreOptions) {
    this.redis = options.redis;
    this.keys = new BatchRedisKeys(options.prefix);
  }

  // --- files ---

  async putFile(file: FileRecord, content: Uint8Array): Promise<void> {
    const keys = this.keys.file(file.id);
    // The index first: an id there without a record is skipped by listFiles.
    await this.redis.zadd(this.keys.tenantFiles(file.tenant), file.createdAt, file.id);
    await this.redis
      .multi()
      .set(keys.content, Buffer.from(content.buffer, content.byteOffset, content.byteLength))
      .set(keys.meta, JSON.stringify(file))
      .exec()
      .then(execResult);
  }

  async file(id: string): Promise<FileRecord | undefined> {
    return parse<FileRecord>(await this.redis.get(this.keys.file(id).meta));
  }

  async fileContent(id: string): Promise<Uint8Array | undefined> {
    const keys = this.keys.file(id);
    if (!(await this.redis.exists(keys.meta))) return undefined;
    const content = await this.redis.getBuffer(keys.content);
    return content ? new Uint8Array(content.buffer, content.byteOffset, content.byteLength) : undefined;
  }

  async deleteFile(id: string): Promise<boolean> {
    const keys = this.keys.file(id);
    const file = await this.file(id);
    if (!file) return false;
    // Deleting the record is the commit: of two racing deletes, the one that removed it answers true.
    const removed = await this.redis.del(keys.meta);
    await this.redis.del(keys.content);
    await this.redis.zrem(this.keys.tenantFiles(file.tenant), id);
    return removed === 1;
  }

  async listFiles(tenant: string, page: ListPage): Promise<FileRecord[]> {
    const ids = await this.pageIds(this.keys.tenantFiles(tenant), page);
    return this.records<FileRecord>(ids.map((id) => this.keys.file(id).meta));
  }

  // --- batches ---

  async createBatch(
    batch: BatchRecord,
    lines: readonly BatchLine[],
    known: readonly LineResult[],
  ): Promise<void> {
    const keys = this.keys.batch(batch.id);
    // Ids are random (the gateway makes them): this check catches a caller's mistake, not a race.
    if (await this.redis.exists(keys.rec)) throw new DuplicateBatchError(`batch ${batch.id} exists`);
    const results = new Map<number, LineResult>();
    for (const result of known) if (!results.has(result.index)) results.set(result.index, result);
    const counts: Record<string, number> = {};
    for (const result of results.values()) counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;

    const staged = [keys.lines, keys.ids, keys.pending, keys.results];
    const open = lines.filter((l) => !results.has(l.index));
    await Promise.all([
      this.staged(keys.lines, 'hset', lines, (l) => [String(l.index), JSON.stringify(l)]),
      this.staged(keys.ids, 'hset', lines, (l) => [String(l.index), l.customId]),
      this.staged(keys.pending, 'zadd', open, (l) => ['0', String(l.index)]),
      this.staged(keys.results, 'hset', [...results.values()], (r) => [String(r.index), JSON.stringify(r)]),
    ]);

    await this.redis.zadd(this.keys.tenantBatches(batch.tenant), batch.createdAt, batch.id);
    if (!ENDED_STATUSES.has(batch.status)) await this.redis.sadd(this.keys.active(), batch.id);
    const commit = this.redis.multi().set(keys.rec, JSON.stringify(batch));
    if (Object.keys(counts).length > 0) commit.hset(keys.counts, counts);
    for (const key of staged) commit.persist(key);
    await commit.exec().then(execResult);
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    return parse<BatchRecord>(await this.redis.get(this.keys.batch(id).rec));
  }

  async deleteBatch(id: string): Promise<boolean> {
    const keys = this.keys.batch(id);
    const batch = await this.batch(id);
    // An ended batch never changes again, so the check holds until the delete.
    if (!batch || !ENDED_STATUSES.has(batch.status)) return false;
    // Deleting the record is the commit: of two racing deletes, the one that removed it answers true.
    const removed = await this.redis.del(keys.rec);
    await this.redis.del(keys.lines, keys.ids, keys.pending, keys.results, keys.counts);
    await this.redis.zrem(this.keys.tenantBatches(batch.tenant), id);
    await this.redis.srem(this.keys.active(), id);
    return removed === 1;
  }

  async listBatches(tenant: string, page: ListPage): Promise<BatchRecord[]> {
    const ids = await this.pageIds(this.keys.tenantBatches(tenant), page);
    return this.records<BatchRecord>(ids.map((id) => this.keys.batch(id).rec));
  }

  async activeBatches(): Promise<BatchRecord[]> {
    const ids = await this.redis.smembers(this.keys.active());
    const records = await Promise.all(ids.map((id) => this.batch(id)));
    const active: BatchRecord[] = [];
    const ended: string[] = [];
    for (const record of records) {
      if (!record) continue; // being created, or a creator died before its commit
      if (ENDED_STATUSES.has(record.status)) ended.push(record.id);
      else active.push(record);
    }
    // A transition to an end removes its batch; this catches an instance that died in between.
    if (ended.length > 0) await this.redis.srem(this.keys.active(), ...ended);
    return active;
  }

  async transition(
    id: string,
    from: readonly BatchStatus[],
    change: (batch: BatchRecord) => BatchRecord,
  ): Promise<BatchRecord | undefined> {
    const key = this.keys.batch(id).rec;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const read = await this.redis.get(key);
      if (read === null) return undefined;
      const previous = JSON.parse(read) as BatchRecord;
      if (!from.includes(previous.status)) return undefined;
      const next = {
        ...change(previous),
        id: previous.id,
        tenant: previous.tenant,
        createdAt: previous.createdAt,
      };
      const swapped = await runScript(this.redis, this.scripts.transition, 1, [
        key,
        read,
        JSON.stringify(next),
      ]);
      if (swapped !== 1) continue;
      if (ENDED_STATUSES.has(next.status)) await this.redis.srem(this.keys.active(), id);
      return next;
    }
    throw new BatchConflictError(`batch ${id} kept changing during ${CAS_ATTEMPTS} attempts to move it on`);
  }

  // --- lines ---

  async claim(batchId: string, options: ClaimOptions, now: number): Promise<ClaimedLine[]> {
    if (options.max <= 0) return [];
    const keys = this.keys.batch(batchId);
    const leaseUntil = now + options.leaseMs;
    const reply = (await runScript(this.redis, this.scripts.claim, 2, [
      keys.pending,
      keys.lines,
      now,
      leaseUntil,
      Math.floor(options.max),
    ])) as (string | null)[];
    const claimed: ClaimedLine[] = [];
    for (let i = 0; i < reply.length; i += 2) {
      const line = reply[i + 1];
      if (line) claimed.push({ batchId, line: JSON.parse(line) as BatchLine, leaseUntil });
    }
    return claimed;
  }

  async renew(claims: readonly ClaimedLine[], leaseMs: number, now: number): Promise<void> {
    const byBatch = new Map<string, (string | number)[]>();
    for (const claim of claims) {
      const members = byBatch.get(claim.batchId) ?? [];
      byBatch.set(claim.batchId, members);
      members.push(now + leaseMs, String(claim.line.index));
    }
    // XX: a line completed meanwhile (gone from pending) is not put back; GT: a lease is never shortened.
    await Promise.all(
      [...byBatch].map(([batchId, members]) =>
        this.redis.zadd(this.keys.batch(batchId).pending, 'XX', 'GT', ...members),
      ),
    );
  }

  async release(claim: ClaimedLine): Promise<void> {
    await this.redis.zadd(this.keys.batch(claim.batchId).pending, 'XX', 0, String(claim.line.index));
  }

  async complete(batchId: string, result: LineResult): Promise<boolean> {
    return (await this.writeResults(batchId, [result])) === 1;
  }

  async endRemaining(batchId: string, outcome: EndOutcome, _now: number): Promise<number> {
    const keys = this.keys.batch(batchId);
    const open = await this.redis.zrange(keys.pending, '0', '-1');
    let ended = 0;
    for (let start = 0; start < open.length; start += CHUNK_LINES) {
      const chunk = open.slice(start, start + CHUNK_LINES);
      const customIds = await this.redis.hmget(keys.ids, ...chunk);
      // Lines completed meanwhile keep their result: the script writes only where none is.
      const results = chunk.map((index, i) => endedResult(Number(index), customIds[i] ?? '', outcome));
      ended += Math.max(0, await this.writeResults(batchId, results));
    }
    return ended;
  }

  async progress(batchId: string): Promise<BatchProgress> {
    const keys = this.keys.batch(batchId);
    const [record, counts] = await Promise.all([this.batch(batchId), this.redis.hgetall(keys.counts)]);
    const tally = { ...ZERO_COUNTS };
    for (const outcome of Object.keys(tally) as LineOutcome[]) tally[outcome] = Number(counts[outcome] ?? 0);
    return { total: record?.total ?? 0, ...tally };
  }

  async results(batchId: string): Promise<LineResult[]> {
    const key = this.keys.batch(batchId).results;
    const byIndex = new Map<number, LineResult>();
    let cursor = '0';
    // HSCAN, not HGETALL: a 50,000-line batch's results never block the server in one reply.
    do {
      const [next, fields] = await this.redis.hscan(key, cursor, 'COUNT', CHUNK_LINES);
      cursor = next;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        byIndex.set(Number(fields[i]), JSON.parse(fields[i + 1] as string) as LineResult);
      }
    } while (cursor !== '0');
    return [...byIndex.values()].sort((a, b) => a.index - b.index);
  }

  async close(): Promise<void> {
    // The client belongs to the caller.
  }

  // --- helpers ---

  /** Writes each result whose line has none, in one script call; how many were kept (-1: no such batch). */
  private async writeResults(batchId: string, results: readonly LineResult[]): Promise<number> {
    const keys = this.keys.batch(batchId);
    const args = results.flatMap((r) => [r.index, JSON.stringify(r), r.outcome]);
    const kept = await runScript(this.redis, this.scripts.complete, 4, [
      keys.rec,
      keys.results,
      keys.pending,
      keys.counts,
      ...args,
    ]);
    return Number(kept);
  }

  /** Writes `items` to a staged key in chunks, each refreshing the key's staging TTL. */
  private async staged<T>(
    key: string,
    command: 'hset' | 'zadd',
    items: readonly T[],
    fields: (item: T) => [string, string],
  ): Promise<void> {
    const writes: Promise<unknown>[] = [];
    let args: string[] = [];
    let bytes = 0;
    const flush = () => {
      const pipeline: ChainableCommander = this.redis.pipeline();
      if (command === 'hset') pipeline.hset(key, ...args);
      else pipeline.zadd(key, ...args);
      pipeline.expire(key, STAGING_TTL_S);
      writes.push(pipeline.exec().then(execResult));
      args = [];
      bytes = 0;
    };
    for (const item of items) {
      const [a, b] = fields(item);
      args.push(a, b);
      bytes += a.length + b.length;
      if (args.length >= 2 * CHUNK_LINES || bytes >= CHUNK_BYTES) flush();
    }
    if (args.length > 0) flush();
    await Promise.all(writes);
  }

  /** The ids of one page of a tenant's newest-first index. */
  private async pageIds(key: string, page: ListPage): Promise<string[]> {
    const rank = async (id: string | undefined) =>
      id === undefined ? undefined : this.redis.zrevrank(key, id);
    const [count, after, before] = await Promise.all([
      this.redis.zcard(key),
      rank(page.after),
      rank(page.before),
    ]);
    const { start, end } = pageSlice(count, page, after, before);
    return end > start ? this.redis.zrevrange(key, start, end - 1) : [];
  }

  /** The records under `keys`, in order, skipping any that are gone. */
  private async records<T>(keys: readonly string[]): Promise<T[]> {
    const values = await Promise.all(keys.map((key) => this.redis.get(key)));
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as T]));
  }
}

function parse<T>(value: string | null): T | undefined {
  return value === null ? undefined : (JSON.parse(value) as T);
}

/** Fails when a MULTI or pipeline was discarded or one of its commands failed. */
function execResult(replies: [Error | null, unknown][] | null): void {
  if (!replies) throw new Error('Redis discarded the transaction');
  for (const [error] of replies) if (error) throw error;
}

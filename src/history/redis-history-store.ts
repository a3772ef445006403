/**
 * History in the Redis of the limits, shared by every instance: one string
 * per series and UTC day, `<prefix>:hist:{h}:<day>:<series>`, to which each
 * instance APPENDs its minute's records, and a set per day naming the
 * series written (`<prefix>:hist:{h}:<day>`). Every key expires at the end
 * of the retention, so the week is bounded without a sweeper (PEXPIRE from
 * the gateway's clock, so a clock of its own does not expire them early).
 * One hash tag for all of it: a flush is one pipeline (one round trip),
 * also on a Redis Cluster.
 *
 * Redis grows a string ahead of its appends (up to twice its length), so
 * once a day is over each writer rewrites that day's strings to their
 * length (`compact`): only the day being written costs more than its records.
 */
import type { Clock } from '../core/clock.js';
import type { RedisClient } from '../stores/redis/scripts.js';
import { DEFAULT_RETENTION_DAYS, type HistoryChunk, type HistoryStore } from './history-store.js';
import { DAY_MS } from './minute-records.js';

/** A string set anew is allocated at its length (an append leaves room for more). */
const COMPACT = `local v = redis.call('GET', KEYS[1])
if v then redis.call('SET', KEYS[1], v, 'KEEPTTL') end
return 0`;

export interface RedisHistoryStoreOptions {
  /** An ioredis client or cluster; the store does not close it. */
  readonly client: RedisClient;
  /** Key prefix, brace-free (e.g. `sluice`). */
  readonly prefix: string;
  readonly retentionDays?: number;
  readonly clock: Clock;
}

export class RedisHistoryStore implements HistoryStore {
  private readonly client: RedisClient;
  private readonly base: string;
  private readonly retentionDays: number;
  private readonly clock: Clock;
  /** The newest day this writer appended to: when a later one starts, the days before are compacted. */
  private writing = -1;

  constructor(options: RedisHistoryStoreOptions) {
    this.clock = options.clock;
    this.client = options.client;
    this.base = `${options.prefix}:hist:{h}`;
    this.retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  }

  async append(chunks: readonly HistoryChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    const pipeline = this.client.pipeline();
    const days = new Set<number>();
    for (const c of chunks) {
      const key = `${this.base}:${c.day}:${c.series}`;
      pipeline.append(key, c.records);
      pipeline.pexpire(key, this.ttlOf(c.day));
      pipeline.sadd(`${this.base}:${c.day}`, c.series);
      days.add(c.day);
    }
    for (const day of days) pipeline.pexpire(`${this.base}:${day}`, this.ttlOf(day));
    const replies = await pipeline.exec();
    const failed = replies?.find(([error]) => error);
    if (failed) throw failed[0];
    const newest = Math.max(...days);
    if (this.writing >= 0 && newest > this.writing) await this.compact(this.writing);
    this.writing = Math.max(this.writing, newest);
  }

  /** Rewrites `day`'s strings at their length (their TTL kept), once no one appends to them. */
  private async compact(day: number): Promise<void> {
    const series = await this.client.smembers(`${this.base}:${day}`);
    if (series.length === 0) return;
    const pipeline = this.client.pipeline();
    for (const s of series) pipeline.eval(COMPACT, 1, `${this.base}:${day}:${s}`);
    await pipeline.exec();
  }

  async read(fromDay: number, toDay: number): Promise<HistoryChunk[]> {
    const days: number[] = [];
    for (let d = fromDay; d <= toDay; d++) days.push(d);
    const listing = this.client.pipeline();
    for (const d of days) listing.smembers(`${this.base}:${d}`);
    const named = (await listing.exec()) ?? [];
    const wanted: { day: number; series: string }[] = [];
    named.forEach(([error, members], i) => {
      if (error) throw error;
      for (const series of members as string[]) wanted.push({ day: days[i] as number, series });
    });
    if (wanted.length === 0) return [];
    const reading = this.client.pipeline();
    for (const w of wanted) reading.get(`${this.base}:${w.day}:${w.series}`);
    const texts = (await reading.exec()) ?? [];
    return wanted.map((w, i) => {
      const [error, text] = texts[i] ?? [null, null];
      if (error) throw error;
      return { ...w, records: (text as string | null) ?? '' };
    });
  }

  /** Ms until the end of the retention of `day`'s records: they are read for `retentionDays` after it. */
  private ttlOf(day: number): number {
    return Math.max(1, (day + 1 + this.retentionDays) * DAY_MS - this.clock.now());
  }
}

/**
 * Where the week of history lives (`minute-records.ts`): in the same Redis
 * as the limits (shared by every instance), or in files under the gateway's
 * `data_dir` beside the memory store. Both only append, once a minute per
 * instance, and keep `retentionDays` of days.
 */

/** One series' records of one UTC day (records concatenated, as written). */
export interface HistoryChunk {
  readonly series: string;
  readonly day: number;
  readonly records: string;
}

export interface HistoryStore {
  /** Appends each chunk's records to its series and day, in one round trip (or one write). */
  append(chunks: readonly HistoryChunk[]): Promise<void>;
  /** Every series' records of the days `fromDay` to `toDay` (inclusive), one chunk per series and day. */
  read(fromDay: number, toDay: number): Promise<HistoryChunk[]>;
}

export const DEFAULT_RETENTION_DAYS = 7;

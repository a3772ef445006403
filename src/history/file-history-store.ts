/**
 * History in files beside the memory store: `<dir>/<day>-<writer>.log`,
 * one line per series (`<series>\t<records>`), appended once a minute.
 * Each process writes files of its own (its pid), so the workers of
 * `--workers N` never interleave a line; a reader merges them. Files of
 * days past the retention are deleted as the day turns; a CLI reads the
 * same directory (`data_dir` of the gateway's config).
 */
import { appendFile, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_RETENTION_DAYS, type HistoryChunk, type HistoryStore } from './history-store.js';

const FILE = /^(\d+)-([A-Za-z0-9_.]+)\.log$/;

export interface FileHistoryStoreOptions {
  readonly dir: string;
  /** Names this process's files (default: its pid). */
  readonly writer?: string;
  readonly retentionDays?: number;
}

export class FileHistoryStore implements HistoryStore {
  private readonly dir: string;
  private readonly writer: string;
  private readonly retentionDays: number;
  private prunedFor = -1;
  private made = false;

  constructor(options: FileHistoryStoreOptions) {
    this.dir = options.dir;
    this.writer = options.writer ?? String(process.pid);
    this.retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  }

  async append(chunks: readonly HistoryChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    if (!this.made) {
      await mkdir(this.dir, { recursive: true });
      this.made = true;
    }
    const byDay = new Map<number, string[]>();
    for (const c of chunks) {
      const lines = byDay.get(c.day) ?? [];
      lines.push(`${c.series}\t${c.records}\n`);
      byDay.set(c.day, lines);
    }
    for (const [day, lines] of byDay) {
      await appendFile(join(this.dir, `${day}-${this.writer}.log`), lines.join(''));
      if (day > this.prunedFor) await this.prune(day);
    }
  }

  async read(fromDay: number, toDay: number): Promise<HistoryChunk[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const bySeries = new Map<string, string[]>();
    for (const name of files) {
      const match = FILE.exec(name);
      const day = Number(match?.[1]);
      if (!match || day < fromDay || day > toDay) continue;
      const text = await readFile(join(this.dir, name), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab <= 0) continue;
        const key = `${day}\t${line.slice(0, tab)}`;
        const records = bySeries.get(key) ?? [];
        records.push(line.slice(tab + 1));
        bySeries.set(key, records);
      }
    }
    return [...bySeries].map(([key, records]) => {
      const tab = key.indexOf('\t');
      return { day: Number(key.slice(0, tab)), series: key.slice(tab + 1), records: records.join('') };
    });
  }

  /** Deletes every writer's files of days older than the retention, once per new day. */
  private async prune(today: number): Promise<void> {
    this.prunedFor = today;
    const files = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of files) {
      const match = FILE.exec(name);
      if (match && Number(match[1]) < today - this.retentionDays)
        await unlink(join(this.dir, name)).catch(() => {});
    }
  }
}

/**
 * A batch's results file (`results.jsonl`): one JSON result per line,
 * appended and fsynced before `append` resolves.
 *
 * Group commit: appends arriving while a write is being synced wait for the
 * next one, which writes them all and costs one fdatasync, so a burst of
 * completions costs a few syncs instead of one each.
 *
 * Crash safety: a crash mid-append can leave a last line without its
 * newline. `openResultsLog` drops it (truncating the file to its last
 * newline) before anything is appended, so a torn line is never glued to
 * the next one. After a failed write the log refuses further appends: what
 * reached the file is unknown until it is opened again.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { LineResult } from '../batch.js';

const NEWLINE = 0x0a;

interface Waiting {
  readonly text: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class ResultsLog {
  private waiting: Waiting[] = [];
  /** Set and cleared synchronously by the write loop, so an append never misses a running loop. */
  private writing = false;
  private loop: Promise<void> = Promise.resolve();
  private broken: unknown;

  constructor(private readonly handle: FileHandle) {}

  /** Appends one result; resolves once it is on disk. */
  append(result: LineResult): Promise<void> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.waiting.push({ text: `${JSON.stringify(result)}\n`, resolve, reject });
      if (!this.writing) this.loop = this.writeWaiting();
    });
  }

  /** Waits for every append made so far, then closes the file. */
  async close(): Promise<void> {
    await this.loop;
    await this.handle.close();
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      try {
        if (this.broken !== undefined) throw this.broken;
        await writeAll(this.handle, Buffer.from(group.map((w) => w.text).join('')));
        await this.handle.datasync();
        for (const w of group) w.resolve();
      } catch (error) {
        this.broken ??= error;
        for (const w of group) w.reject(error);
      }
    }
    this.writing = false;
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length; ) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Opens a results file for appending and reads what it holds, in file
 * order (duplicates included: the caller keeps the first per line). A torn
 * last line is cut off, durably, first; a complete line that does not parse
 * is skipped.
 */
export async function openResultsLog(path: string): Promise<{ log: ResultsLog; results: LineResult[] }> {
  const handle = await open(path, 'a+');
  try {
    const content = await handle.readFile();
    const end = content.lastIndexOf(NEWLINE) + 1;
    if (end < content.length) {
      await handle.truncate(end);
      await handle.sync();
    }
    return { log: new ResultsLog(handle), results: parseResults(content.subarray(0, end)) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The results in a results file's content, in file order. Only whole lines
 * count (a line being appended is not one yet); a whole line that does not
 * parse was damaged on disk and is skipped.
 */
export function parseResults(content: Buffer): LineResult[] {
  const results: LineResult[] = [];
  const end = content.lastIndexOf(NEWLINE) + 1;
  for (const text of content.subarray(0, end).toString('utf8').split('\n')) {
    if (!text) continue;
    try {
      results.push(JSON.parse(text) as LineResult);
    } catch {
      // Nothing to keep of a damaged line.
    }
  }
  return results;
}

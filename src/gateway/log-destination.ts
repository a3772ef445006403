/**
 * Where the gateway's log lines go by default: a file descriptor (stdout),
 * written in batches. A line is queued; the first line of a batch schedules
 * one write for the end of the event loop's turn (`setImmediate`), so every
 * line logged during that turn — tens at full load — leaves in one system
 * call, and no request waits for a write.
 *
 * The batch is written synchronously, as Node writes stdout to files and
 * pipes on Linux: lines keep their order, and nothing is held in memory
 * beyond one turn's lines. A descriptor that refuses (`EAGAIN`, a pipe whose
 * reader is behind) keeps the rest queued for a retry; past `maxQueuedBytes`
 * the oldest lines are dropped and counted, and the count is written once
 * the reader catches up — a slow log reader must not grow the heap without
 * bound. `flush()` (graceful stop) and process exit write what is queued.
 */
import { writeSync } from 'node:fs';

export interface BatchedLinesOptions {
  /** Lines queued at most while the descriptor refuses writes (default 16 MiB). */
  maxQueuedBytes?: number;
  /** Retry delay after `EAGAIN` (default 10 ms). */
  retryMs?: number;
  /** Writes bytes to the descriptor, returning how many it took (default `fs.writeSync`; tests refuse writes). */
  write?: (fd: number, bytes: Buffer) => number;
}

export class BatchedLines {
  private queue: string[] = [];
  private queuedBytes = 0;
  /** Bytes of a batch the descriptor did not take yet (a line may be cut mid-character: bytes, not text). */
  private partial: Buffer | undefined;
  private scheduled = false;
  private dropped = 0;
  private readonly maxQueuedBytes: number;
  private readonly retryMs: number;
  private readonly writeBytes: (fd: number, bytes: Buffer) => number;
  private readonly writeQueued = () => {
    this.scheduled = false;
    this.writeQueuedLines();
  };

  constructor(
    private readonly fd: number,
    options: BatchedLinesOptions = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    this.retryMs = options.retryMs ?? 10;
    this.writeBytes = options.write ?? writeSync;
    process.once('exit', this.writeQueued);
  }

  /** Queues one line (ending in a newline, as pino writes them). */
  write(line: string): void {
    this.queue.push(line);
    this.queuedBytes += line.length;
    if (this.queuedBytes > this.maxQueuedBytes) this.dropOldest();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.writeQueued);
    }
  }

  /** Writes every queued line now (as far as the descriptor takes them); pino's `logger.flush(cb)` passes `done`. */
  flush(done?: (error?: Error) => void): void {
    this.writeQueuedLines();
    done?.();
  }

  private writeQueuedLines(): void {
    if (this.partial && !this.writeOut(this.partial)) return;
    if (this.queue.length === 0) return;
    if (this.dropped > 0) {
      const note = `{"level":"warn","time":${Date.now()},"msg":"log lines dropped","dropped":${this.dropped}}\n`;
      this.queue.unshift(note);
      this.dropped = 0;
    }
    const text = this.queue.length === 1 ? (this.queue[0] as string) : this.queue.join('');
    this.queue = [];
    this.queuedBytes = 0;
    this.writeOut(Buffer.from(text));
  }

  /** False when the descriptor is full: the rest waits in `partial`, in front of anything logged since. */
  private writeOut(bytes: Buffer): boolean {
    let rest = bytes;
    this.partial = undefined;
    while (rest.length > 0) {
      try {
        rest = rest.subarray(this.writeBytes(this.fd, rest));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return true; // closed or broken: nothing to do
        this.partial = rest;
        if (!this.scheduled) {
          this.scheduled = true;
          setTimeout(this.writeQueued, this.retryMs).unref();
        }
        return false;
      }
    }
    return true;
  }

  private dropOldest(): void {
    while (this.queuedBytes > this.maxQueuedBytes && this.queue.length > 1) {
      this.queuedBytes -= (this.queue.shift() as string).length;
      this.dropped++;
    }
  }
}

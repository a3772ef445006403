/**
 * Where the gateway's log lines go by default: a file descriptor (stdout),
 * written in batches, asynchronously. A line is queued; the first line of a
 * batch schedules a write for the end of the event loop's turn
 * (`setImmediate`), so every line logged during that turn — and, while a
 * write is under way, every line logged until it is done — leaves in one
 * system call, made on libuv's thread pool: no request waits for a write,
 * and a disk or pipe that stalls (writeback throttling, a slow reader) stalls
 * no request either. One write is in flight at a time, so lines keep their
 * order.
 *
 * Memory is bounded: past `maxQueuedBytes` waiting behind a stuck
 * descriptor, the oldest lines are dropped and counted, and the count is
 * logged once it takes writes again. A descriptor that refuses (`EAGAIN`)
 * is retried after `retryMs`. `flush(done)` (graceful stop) calls back once
 * everything queued is written; at process exit what is still queued is
 * written synchronously.
 */
import { write, writeSync } from 'node:fs';

export interface BatchedLinesOptions {
  /** Bytes of lines queued at most while the descriptor is behind (default 16 MiB). */
  maxQueuedBytes?: number;
  /** Retry delay after `EAGAIN` (default 10 ms). */
  retryMs?: number;
  /** Writes bytes, then calls back with how many were taken (default `fs.write`; tests stand in for the descriptor). */
  write?: (fd: number, bytes: Buffer, done: (error: Error | null, written: number) => void) => void;
}

type Done = (error?: Error) => void;

export class BatchedLines {
  private queue: string[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private dropped = 0;
  /** The batch being written (its unwritten rest after a partial write or `EAGAIN`). */
  private inFlight: Buffer | undefined;
  private writing = false;
  private waiting: Done[] = [];
  private readonly maxQueuedBytes: number;
  private readonly retryMs: number;
  private readonly writeBytes: NonNullable<BatchedLinesOptions['write']>;
  private readonly startNext = () => {
    this.scheduled = false;
    this.next();
  };
  private readonly written = (error: Error | null, count: number) => this.afterWrite(error, count);

  constructor(
    private readonly fd: number,
    options: BatchedLinesOptions = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    this.retryMs = options.retryMs ?? 10;
    this.writeBytes = options.write ?? ((fd, bytes, done) => write(fd, bytes, 0, bytes.length, null, done));
    process.once('exit', () => this.writeQueuedNow());
  }

  /** Queues one line (ending in a newline, as pino writes them). */
  write(line: string): void {
    this.queue.push(line);
    this.queuedBytes += line.length;
    if (this.queuedBytes > this.maxQueuedBytes) this.dropOldest();
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(this.startNext);
    }
  }

  /** Calls `done` once every line queued so far is written (pino's `logger.flush(cb)` passes it). */
  flush(done?: Done): void {
    if (done) this.waiting.push(done);
    if (!this.writing) this.next();
  }

  /** Starts the next batch, or answers `flush` callers when there is none. */
  private next(): void {
    if (this.writing) return;
    if (!this.inFlight) this.inFlight = this.takeQueued();
    if (!this.inFlight) {
      const waiting = this.waiting;
      this.waiting = [];
      for (const done of waiting) done();
      return;
    }
    this.writing = true;
    this.writeBytes(this.fd, this.inFlight, this.written);
  }

  private afterWrite(error: Error | null, count: number): void {
    this.writing = false;
    const batch = this.inFlight as Buffer;
    if (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        // The descriptor is full: the rest waits in front of anything logged since.
        this.scheduled = true;
        setTimeout(this.startNext, this.retryMs).unref();
        return;
      }
      this.inFlight = undefined; // closed or broken: nothing can be written there
    } else {
      this.inFlight = count < batch.length ? batch.subarray(count) : undefined;
    }
    this.next();
  }

  /** The queued lines as one batch (after a note of lines dropped, if any), or undefined. */
  private takeQueued(): Buffer | undefined {
    if (this.queue.length === 0) return undefined;
    if (this.dropped > 0) {
      this.queue.unshift(
        `{"level":"warn","time":${Date.now()},"msg":"log lines dropped","dropped":${this.dropped}}\n`,
      );
      this.dropped = 0;
    }
    const text = this.queue.length === 1 ? (this.queue[0] as string) : this.queue.join('');
    this.queue = [];
    this.queuedBytes = 0;
    return Buffer.from(text);
  }

  /** At exit: what is queued, written now (a batch already handed to the thread pool is its own). */
  private writeQueuedNow(): void {
    const rest = this.writing ? this.takeQueued() : concatDefined(this.inFlight, this.takeQueued());
    try {
      if (rest) writeSync(this.fd, rest);
    } catch {
      // Nothing more can be done at exit.
    }
  }

  private dropOldest(): void {
    while (this.queuedBytes > this.maxQueuedBytes && this.queue.length > 1) {
      this.queuedBytes -= (this.queue.shift() as string).length;
      this.dropped++;
    }
  }
}

function concatDefined(a: Buffer | undefined, b: Buffer | undefined): Buffer | undefined {
  return a && b ? Buffer.concat([a, b]) : (a ?? b);
}

import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedLines } from '../../src/gateway/log-destination.js';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `{"n":${i},"msg":"request"}\n`);

type Done = (error: Error | null, written: number) => void;

/**
 * A descriptor whose writes complete when the test says so: it takes at most
 * `take` bytes of a write, or refuses it (EAGAIN) while `refusing`.
 */
function fakeDescriptor() {
  const fd = {
    refusing: false,
    take: Number.POSITIVE_INFINITY,
    calls: 0,
    received: Buffer.alloc(0),
    pending: [] as { bytes: Buffer; done: Done }[],
    write: (_fd: number, bytes: Buffer, done: Done): void => {
      fd.calls++;
      fd.pending.push({ bytes: Buffer.from(bytes), done });
    },
    /** Completes the write under way. */
    complete: (): void => {
      const write = fd.pending.shift();
      if (!write) throw new Error('no write under way');
      if (fd.refusing) {
        write.done(Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' }), 0);
        return;
      }
      const n = Math.min(write.bytes.length, fd.take);
      fd.received = Buffer.concat([fd.received, write.bytes.subarray(0, n)]);
      write.done(null, n);
    },
  };
  return fd;
}

describe('batched log lines', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a burst of lines logged in one turn with one write, in order, after the turn', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: fd.write });
    const burst = lines(5_000);
    for (const line of burst) out.write(line);
    expect(fd.calls).toBe(0);
    vi.runOnlyPendingTimers();
    fd.complete();
    expect(fd.calls).toBe(1);
    expect(fd.received.toString()).toBe(burst.join(''));
  });

  it('keeps one write in flight: lines logged meanwhile leave together in the next, in order', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: fd.write });
    out.write('a\n');
    vi.runOnlyPendingTimers();
    out.write('b\n');
    out.write('c\n');
    vi.runOnlyPendingTimers();
    expect(fd.calls).toBe(1);
    fd.complete();
    expect(fd.calls).toBe(2);
    fd.complete();
    expect(fd.received.toString()).toBe('a\nb\nc\n');
  });

  it('calls a flush back once everything queued is written (graceful stop)', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: fd.write });
    out.write('last words\n');
    const done = vi.fn();
    out.flush(done);
    expect(fd.calls).toBe(1); // at once, not at the end of the turn
    expect(done).not.toHaveBeenCalled();
    fd.complete();
    expect(done).toHaveBeenCalledOnce();
    expect(fd.received.toString()).toBe('last words\n');
  });

  it('writes the rest of a partial write (cut mid-character) and of a refused one first, then what came since', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: fd.write, retryMs: 10 });
    const first = ['{"msg":"naïve café ☕"}\n', '{"msg":"second"}\n'];
    for (const line of first) out.write(line);
    vi.runOnlyPendingTimers();
    fd.take = 13; // stops inside "ï" (two bytes in UTF-8)
    fd.complete();
    fd.refusing = true;
    fd.complete(); // the rest is refused: retried after retryMs
    out.write('{"msg":"third"}\n');
    fd.refusing = false;
    fd.take = Number.POSITIVE_INFINITY;
    vi.advanceTimersByTime(10);
    fd.complete();
    fd.complete();
    expect(fd.received.toString()).toBe(`${first.join('')}{"msg":"third"}\n`);
  });

  it('bounds what waits behind a stuck descriptor, drops the oldest lines and says how many when it recovers', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: fd.write, retryMs: 10, maxQueuedBytes: 1_000 });
    out.write('{"msg":"first"}\n');
    vi.runOnlyPendingTimers();
    fd.refusing = true;
    fd.complete();
    const many = lines(200);
    for (const line of many) out.write(line);
    fd.refusing = false;
    vi.advanceTimersByTime(10);
    fd.complete();
    fd.complete();
    const text = fd.received.toString().trim().split('\n');
    expect(text[0]).toBe('{"msg":"first"}');
    const note = JSON.parse(text[1] as string) as { msg: string; dropped: number };
    expect(note.msg).toBe('log lines dropped');
    expect(note.dropped).toBeGreaterThan(0);
    expect(text.slice(2)).toEqual(many.slice(note.dropped).map((l) => l.trim()));
  });

  it('writes every line of a burst to a real file by the time flush calls back', async () => {
    vi.useRealTimers();
    const file = join(await mkdtemp(join(tmpdir(), 'sluice-log-')), 'out.log');
    const fd = openSync(file, 'w');
    const out = new BatchedLines(fd);
    const burst = lines(1_000);
    for (const [i, line] of burst.entries()) {
      out.write(line);
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise<void>((resolve) => out.flush(() => resolve()));
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(burst.join(''));
  });
});

import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedLines } from '../../src/gateway/log-destination.js';

const lines = (n: number, text = 'request') =>
  Array.from({ length: n }, (_, i) => `{"n":${i},"msg":"${text}"}\n`);

/** A descriptor that records every write and refuses (EAGAIN) while `refusing`, or takes `take` bytes at most. */
function fakeDescriptor() {
  const fd = {
    refusing: false,
    take: Number.POSITIVE_INFINITY,
    calls: 0,
    received: Buffer.alloc(0),
    write: (_fd: number, bytes: Buffer): number => {
      fd.calls++;
      if (fd.refusing) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
      const n = Math.min(bytes.length, fd.take);
      fd.received = Buffer.concat([fd.received, bytes.subarray(0, n)]);
      return n;
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
    expect(fd.calls).toBe(1);
    expect(fd.received.toString()).toBe(burst.join(''));
  });

  it('writes what is queued on flush (graceful stop) and calls back', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: fd.write });
    out.write('{"msg":"last words"}\n');
    const done = vi.fn();
    out.flush(done);
    expect(fd.received.toString()).toBe('{"msg":"last words"}\n');
    expect(done).toHaveBeenCalledOnce();
  });

  it('keeps what a full descriptor refused, bytes cut mid-character included, and writes it first when it takes again', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: (f, bytes) => fd.write(f, bytes), retryMs: 10 });
    const first = ['{"msg":"naïve café ☕"}\n', '{"msg":"second"}\n'];
    for (const line of first) out.write(line);
    fd.take = 13; // stops inside "ï" (two bytes in UTF-8); the next call is refused
    const take = fd.write;
    fd.write = (f, bytes) => {
      if (fd.calls === 1) fd.refusing = true;
      return take(f, bytes);
    };
    vi.runOnlyPendingTimers();
    expect(fd.received.length).toBe(13);
    out.write('{"msg":"third"}\n'); // logged while the descriptor is full: waits behind the rest
    fd.refusing = false;
    fd.take = Number.POSITIVE_INFINITY;
    vi.advanceTimersByTime(10);
    expect(fd.received.toString()).toBe(`${first.join('')}{"msg":"third"}\n`);
  });

  it('bounds what waits for a stuck reader, drops the oldest lines and says how many when it recovers', () => {
    const fd = fakeDescriptor();
    const out = new BatchedLines(99, { write: fd.write, retryMs: 10, maxQueuedBytes: 1_000 });
    fd.refusing = true;
    const many = lines(200);
    for (const line of many) out.write(line);
    vi.runOnlyPendingTimers();
    fd.refusing = false;
    vi.advanceTimersByTime(10);
    const text = fd.received.toString().trim().split('\n');
    const note = JSON.parse(text[0] as string) as { msg: string; dropped: number };
    expect(note.msg).toBe('log lines dropped');
    expect(note.dropped + text.length - 1).toBe(200);
    expect(text.slice(1)).toEqual(many.slice(note.dropped).map((l) => l.trim()));
  });

  it('writes to a real file descriptor', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'sluice-log-')), 'out.log');
    const fd = openSync(file, 'w');
    const out = new BatchedLines(fd);
    const burst = lines(1_000);
    for (const line of burst) out.write(line);
    out.flush();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(burst.join(''));
  });
});

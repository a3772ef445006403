/**
 * The reply deadline counts event-loop time: a reply that reached the socket
 * while the process was busy past the deadline is taken, not discarded.
 * Fake timers fire the deadline; the reply is resolved before the loop's
 * check phase, the way a socket read in the poll phase would be.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReplyDeadlineError, replyWithin } from '../../src/stores/redis/deadline.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('replyWithin', () => {
  it('takes a reply read after the deadline expired but before the loop looked again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const reply = deferred<string>();
    const answer = replyWithin(reply.promise, 1_000);
    vi.advanceTimersByTime(5_000); // the loop was blocked well past the deadline
    reply.resolve('OK'); // the poll phase reads the reply that was waiting on the socket
    await expect(answer).resolves.toBe('OK');
  });

  it('fails a command still unanswered once the loop has read its sockets', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const reply = deferred<string>();
    const answer = replyWithin(reply.promise, 1_000);
    vi.advanceTimersByTime(999);
    let settled = false;
    answer
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    vi.advanceTimersByTime(1);
    await expect(answer).rejects.toBeInstanceOf(ReplyDeadlineError);
    reply.resolve('late'); // a late reply changes nothing
    await expect(answer).rejects.toThrow('Redis command timed out: no reply within 1000 ms');
  });

  it('passes a command error through unchanged', async () => {
    const reply = deferred<string>();
    const answer = replyWithin(reply.promise, 1_000);
    const error = new Error('NOSCRIPT');
    reply.reject(error);
    await expect(answer).rejects.toBe(error);
  });
});

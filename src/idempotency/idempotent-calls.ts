/**
 * Calls with an `Idempotency-Key` run at most once per tenant and key
 * within the key's time to live (issue 20: an agent that retries a loop
 * must not run its completed steps again). The first call with a key claims
 * it and runs; its answer, if worth keeping, is kept as the caller got it
 * (status, headers, the body's bytes — a stream's events as sent). A repeat
 * with the same request gets that answer again, without an upstream call or
 * a charge (`x-sluice-idempotent-replay: true`); a repeat while the first
 * still runs waits for it (in this process on its promise, across instances
 * by polling the store), up to its own wait; the same key with another
 * request is a 422.
 *
 * Kept: 2xx answers whose body arrived whole. Not kept (the key is free
 * again, a retry runs): refusals, upstream errors, a stream cut or carrying
 * an error event, a body over `maxAnswerBytes`. With the store unreachable
 * the call runs without the guarantee rather than not at all.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Answer, AnswerOptions } from '../runtime/exchange/answer.js';
import { refusalAnswer } from '../runtime/exchange/answer.js';
import type { Call } from '../runtime/exchange/call.js';
import { refusal } from '../runtime/refusal.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyStore, type StoredAnswer } from './idempotency-store.js';

export interface IdempotentCallsOptions {
  readonly store: IdempotencyStore;
  readonly clock: Clock;
  /** How long a finished call's answer is replayed. Default 24 h. */
  readonly ttlMs?: number;
  /** How long a running call holds its key before another may take it (an instance that died). Default 10 min. */
  readonly leaseMs?: number;
  /** Answers larger than this are not kept. Default 4 MiB. */
  readonly maxAnswerBytes?: number;
  /** How often a repeat polls the store while another instance runs the key. Default 250 ms. */
  readonly pollMs?: number;
  /** Told when the store failed (the call then ran without the guarantee). */
  readonly onError?: (error: unknown) => void;
}

export const REPLAY_HEADER = 'x-sluice-idempotent-replay';

/** Headers that describe one answer's moment or its framing, not the answer: a replay writes its own. */
const NOT_KEPT =
  /^(x-sluice-request-id|x-ratelimit-|ratelimit|x-sluice-load|retry-after|x-should-retry|content-length$|transfer-encoding$|connection$)/i;

export class IdempotentCalls {
  private readonly running = new Map<string, Promise<void>>();
  private readonly ttlMs: number;
  private readonly leaseMs: number;
  private readonly maxAnswerBytes: number;
  private readonly pollMs: number;

  constructor(private readonly options: IdempotentCallsOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    this.leaseMs = options.leaseMs ?? 600_000;
    this.maxAnswerBytes = options.maxAnswerBytes ?? 4 << 20;
    this.pollMs = options.pollMs ?? 250;
  }

  /**
   * Answers `call` (which carries `idempotencyKey`): by running it with
   * `run`, by replaying the answer its key's first call got, or by refusing.
   * `waitMs`: how long a repeat may wait for the first call to finish;
   * `replayed` finishes a replay's answer (the load as it is now).
   */
  async serve(
    call: Call,
    options: AnswerOptions,
    waitMs: number,
    run: () => Promise<Answer>,
    replayed: (answer: Answer) => Answer = (answer) => answer,
  ): Promise<Answer> {
    const key = call.idempotencyKey as string;
    const scope = `${call.tenant}\u0000${key}`;
    const fingerprint = fingerprintOf(call);
    const { clock } = this.options;
    const deadline = clock.now() + waitMs;
    for (;;) {
      if (call.signal?.aborted) return refusalAnswer(refusal('aborted', 'The caller went away.'), options);
      const local = this.running.get(scope);
      if (local) {
        if (!(await this.waitFor(local, deadline, call.signal))) return this.stillRunning(options);
        continue;
      }
      let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
      try {
        claim = await this.options.store.claim({
          scope,
          fingerprint,
          now: clock.now(),
          leaseMs: this.leaseMs,
        });
      } catch (error) {
        this.options.onError?.(error);
        return run();
      }
      switch (claim.kind) {
        case 'mismatch':
          return refusalAnswer(
            refusal(
              'idempotency_key_reused',
              'This Idempotency-Key was already used with a different request. Use a new key for a new request.',
            ),
            options,
          );
        case 'done':
          return replayed(replayOf(claim.answer, options));
        case 'running': {
          // The first call is this process's (it claimed while this one did): wait on it, not the store.
          if (this.running.has(scope)) continue;
          if (clock.now() >= deadline) return this.stillRunning(options);
          const poll = new Promise<void>((resolve) => clock.schedule(this.pollMs, resolve));
          if (!(await this.waitFor(poll, deadline, call.signal))) return this.stillRunning(options);
          continue;
        }
        case 'first':
          return this.lead(scope, claim.token, run);
      }
    }
  }

  /** Runs the key's first call and keeps its answer once it has arrived whole. */
  private async lead(scope: string, token: string, run: () => Promise<Answer>): Promise<Answer> {
    const store = this.options.store;
    const { clock } = this.options;
    // The lease is renewed every third of it while the call runs (a long stream), so no repeat takes the key over.
    let cancelRenewal: () => void = () => {};
    const renewEvery = () => {
      cancelRenewal = clock.schedule(this.leaseMs / 3, () => {
        store
          .renew(scope, token, this.leaseMs, clock.now())
          .catch((error: unknown) => this.options.onError?.(error));
        renewEvery();
      });
    };
    renewEvery();
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = () => {
        cancelRenewal();
        if (this.running.get(scope) === done) this.running.delete(scope);
        resolve();
      };
    });
    this.running.set(scope, done);
    // Waiting repeats are woken once the store says how the key ended, not before.
    const settle = (ending: Promise<void>) => {
      ending.catch((error: unknown) => this.options.onError?.(error)).finally(finish);
    };
    const release = () => settle(store.release(scope, token));
    const keep = (answer: Answer, body: Buffer) => {
      const stored: StoredAnswer = {
        status: answer.status,
        headers: keptHeaders(answer.headers),
        body: body.toString('base64'),
      };
      settle(store.complete(scope, token, stored, this.ttlMs, clock.now()));
    };
    let answer: Answer;
    try {
      answer = await run();
    } catch (error) {
      release();
      throw error;
    }
    if (answer.status < 200 || answer.status >= 300) {
      release();
      return answer;
    }
    const relay = answer.relay;
    if (!relay) {
      const body = Buffer.from(answer.body ?? '');
      if (body.length <= this.maxAnswerBytes) keep(answer, body);
      else release();
      return answer;
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    let ended = false;
    relay.record({
      push: (bytes) => {
        if (ended || bytes.length === 0) return;
        size += bytes.length;
        if (size <= this.maxAnswerBytes) parts.push(bytes);
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (size <= this.maxAnswerBytes) keep(answer, Buffer.concat(parts));
        else release();
      },
      drop: () => {
        if (ended) return;
        ended = true;
        release();
      },
    });
    return answer;
  }

  /** True once `promise` settles; false when the deadline comes first or the caller leaves. */
  private waitFor(
    promise: Promise<void>,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const cancel = this.options.clock.schedule(Math.max(0, deadline - this.options.clock.now()), () =>
        done(false),
      );
      const onAbort = () => done(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      promise.then(() => done(true));
      function done(settled: boolean) {
        cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(settled);
      }
    });
  }

  private stillRunning(options: AnswerOptions): Answer {
    return refusalAnswer(
      refusal(
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is still running. Retry after it has finished to get its answer.',
        { retryAfterMs: Math.max(1_000, this.pollMs) },
      ),
      options,
    );
  }
}

/** The request a key stands for: method, path and the body's bytes as sent. */
export function fingerprintOf(call: Call): string {
  const hash = createHash('sha256').update(call.method).update('\u0000').update(call.path).update('\u0000');
  if (call.rawBody !== undefined) hash.update(call.rawBody);
  return hash.digest('base64url');
}

function keptHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    if (!NOT_KEPT.test(name)) out.push(name, headers[i + 1] as string);
  }
  return out;
}

/** The first call's answer again, with this call's request id, saying it is a replay. */
function replayOf(stored: StoredAnswer, options: AnswerOptions): Answer {
  return {
    status: stored.status,
    headers: ['x-sluice-request-id', options.requestId, ...stored.headers, REPLAY_HEADER, 'true'],
    body: Buffer.from(stored.body, 'base64').toString('utf8'),
    relay: undefined,
    contentLength: undefined,
    report: {
      refusal: undefined,
      upstreamError: undefined,
      detail: 'idempotent replay',
      deployment: undefined,
      priority: undefined,
      waitedMs: undefined,
      attempts: 0,
    },
  };
}

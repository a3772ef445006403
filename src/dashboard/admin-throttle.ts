/**
 * Wrong admin keys, per source address: each source may fail `burst` times
 * (default 10), then once per second; a source over that is answered 429
 * without its key being checked, so guessing runs at one key a second
 * instead of thousands. The bucket is the core's GCRA (state: one number),
 * on an injected `now`. Failures also give at most one log line per source
 * per second, which says how many happened since the last one.
 *
 * Sources are socket addresses (a forwarded-for header is the client's to
 * make up), IPv6 ones grouped by /64: a host owns a whole /64 and could
 * otherwise rotate addresses. The map is bounded: past `maxSources`, the
 * source that failed longest ago is forgotten.
 */
import { gcraTake, gcraWaitMs } from '../core/buckets/gcra.js';
import type { BucketSpec } from '../core/limit.js';

export interface AdminThrottleOptions {
  /** Wrong keys a source may send in a burst (default 10). */
  burst?: number;
  /** … and then per second (default 1). */
  perSecond?: number;
  /** Sources remembered at most (default 10,000). */
  maxSources?: number;
  /** At most one log line per source this often (default 1 s). */
  logEveryMs?: number;
}

/** What a log line reports: attempts since the previous line of this source. */
export interface AdminFailureTally {
  readonly source: string;
  readonly wrongKeys: number;
  readonly throttled: number;
}

interface SourceState {
  tat: number;
  loggedAt: number;
  wrongKeys: number;
  throttled: number;
}

export class AdminAuthThrottle {
  private readonly spec: BucketSpec;
  private readonly sources = new Map<string, SourceState>();
  private readonly maxSources: number;
  private readonly logEveryMs: number;

  constructor(options: AdminThrottleOptions = {}) {
    const burst = options.burst ?? 10;
    const perSecond = options.perSecond ?? 1;
    this.maxSources = options.maxSources ?? 10_000;
    this.logEveryMs = options.logEveryMs ?? 1_000;
    this.spec = Object.freeze({
      key: 'admin:auth-failures',
      scope: undefined,
      dimension: 'requests',
      kind: 'gcra',
      fixed: undefined,
      limit: burst,
      per: undefined,
      margin: 0,
      capacity: burst,
      windowMs: (burst / perSecond) * 1_000,
      ratePerMs: perSecond / 1_000,
    });
  }

  /** Ms until `source` may try a key again (0: now). */
  retryAfterMs(source: string, now: number): number {
    const state = this.sources.get(source);
    return state === undefined ? 0 : gcraWaitMs(state.tat, 1, now, this.spec);
  }

  /**
   * Records a failed attempt: a wrong key (taken from the source's bucket) or
   * one refused while throttled. Returns the tally when a log line is due.
   */
  fail(source: string, now: number, kind: 'wrong_key' | 'throttled'): AdminFailureTally | undefined {
    let state = this.sources.get(source);
    if (state === undefined) {
      if (this.sources.size >= this.maxSources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
      }
      state = { tat: now, loggedAt: Number.NEGATIVE_INFINITY, wrongKeys: 0, throttled: 0 };
    } else {
      // Most recently failed last: eviction takes the first.
      this.sources.delete(source);
    }
    this.sources.set(source, state);
    if (kind === 'wrong_key') {
      state.tat = gcraTake(state.tat, 1, now, this.spec);
      state.wrongKeys++;
    } else {
      state.throttled++;
    }
    if (now - state.loggedAt < this.logEveryMs) return undefined;
    const tally = { source, wrongKeys: state.wrongKeys, throttled: state.throttled };
    state.loggedAt = now;
    state.wrongKeys = 0;
    state.throttled = 0;
    return tally;
  }

  /** Sources remembered now (for tests). */
  get size(): number {
    return this.sources.size;
  }
}

/** The throttling key of a socket's remote address: IPv4 as is, IPv6 by its /64. */
export function sourceOf(address: string | undefined): string {
  if (!address) return 'unknown';
  const bare = address.split('%')[0] as string;
  if (!bare.includes(':')) return bare;
  // IPv4 clients of a dual-stack listener arrive as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1] as string;
  const [head = '', tail] = bare.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? front
      : [...front, ...new Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** The per-source throttle on wrong admin keys, on a manual clock. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdminAuthThrottle, sourceOf } from '../../src/dashboard/admin-throttle.js';

describe('AdminAuthThrottle', () => {
  it('lets a source fail 10 times, then once per second', () => {
    const throttle = new AdminAuthThrottle();
    let now = 1_000_000;
    for (let i = 0; i < 10; i++) {
      expect(throttle.retryAfterMs('10.0.0.1', now)).toBe(0);
      throttle.fail('10.0.0.1', now, 'wrong_key');
    }
    expect(throttle.retryAfterMs('10.0.0.1', now)).toBe(1_000);
    // Another source is not affected.
    expect(throttle.retryAfterMs('10.0.0.2', now)).toBe(0);
    now += 1_000;
    expect(throttle.retryAfterMs('10.0.0.1', now)).toBe(0);
    throttle.fail('10.0.0.1', now, 'wrong_key');
    expect(throttle.retryAfterMs('10.0.0.1', now)).toBe(1_000);
    // Quiet for the whole burst's refill: the full burst is back.
    now += 10_000;
    for (let i = 0; i < 10; i++) {
      expect(throttle.retryAfterMs('10.0.0.1', now)).toBe(0);
      throttle.fail('10.0.0.1', now, 'wrong_key');
    }
  });

  it('admits at most 10 + t wrong keys in any t seconds, whatever the timing (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        const throttle = new AdminAuthThrottle();
        const start = 5_000_000;
        let now = start;
        const admitted: number[] = [];
        for (const gap of gaps) {
          now += gap;
          if (throttle.retryAfterMs('s', now) === 0) {
            throttle.fail('s', now, 'wrong_key');
            admitted.push(now);
          }
        }
        for (let i = 0; i < admitted.length; i++) {
          for (let j = i; j < admitted.length; j++) {
            const seconds = ((admitted[j] as number) - (admitted[i] as number)) / 1_000;
            expect(j - i + 1).toBeLessThanOrEqual(10 + seconds + 1e-9);
          }
        }
      }),
    );
  });

  it('says when to log: the first failure, then at most once a second with the count since', () => {
    const throttle = new AdminAuthThrottle();
    const now = 2_000_000;
    expect(throttle.fail('s', now, 'wrong_key')).toEqual({ source: 's', wrongKeys: 1, throttled: 0 });
    for (let i = 1; i < 500; i++) {
      expect(throttle.fail('s', now + i, i < 10 ? 'wrong_key' : 'throttled')).toBeUndefined();
    }
    expect(throttle.fail('s', now + 1_000, 'throttled')).toEqual({
      source: 's',
      wrongKeys: 9,
      throttled: 491,
    });
  });

  it('remembers a bounded number of sources, forgetting the one that failed longest ago', () => {
    const throttle = new AdminAuthThrottle({ maxSources: 3 });
    const now = 3_000_000;
    for (const s of ['a', 'b', 'c']) for (let i = 0; i < 10; i++) throttle.fail(s, now, 'wrong_key');
    throttle.fail('a', now, 'throttled'); // a failed most recently now
    throttle.fail('d', now, 'wrong_key');
    expect(throttle.size).toBe(3);
    expect(throttle.retryAfterMs('b', now)).toBe(0); // forgotten
    expect(throttle.retryAfterMs('a', now)).toBeGreaterThan(0);
    expect(throttle.retryAfterMs('c', now)).toBeGreaterThan(0);
  });
});

describe('sourceOf', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(sourceOf('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
    expect(sourceOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceOf(undefined)).toBe('unknown');
  });
});

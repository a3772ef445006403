import { describe, expect, it } from 'vitest';
import {
  goDuration,
  protoDuration,
  retryAfterSeconds,
  rfc3339Seconds,
} from '../../src/simulator/wire-time.js';

describe('wire time formats', () => {
  it('prints OpenAI reset durations like Go, truncated to milliseconds (PROVIDERS.md §1.2)', () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [0.012, '0s'],
      [2, '2ms'],
      [12.9, '12ms'],
      [425.25, '425ms'],
      [999, '999ms'],
      [1000, '1s'],
      [3114, '3.114s'],
      [8640, '8.64s'],
      [59_999, '59.999s'],
      [360_000, '6m0s'],
      [977_764, '16m17.764s'],
      [3_600_000, '1h0m0s'],
      [3_723_500, '1h2m3.5s'],
      [3_605_000, '1h0m5s'],
    ];
    for (const [ms, text] of cases) expect(goDuration(ms)).toBe(text);
  });

  it('prints Anthropic resets as RFC 3339 whole seconds, rounded up', () => {
    expect(rfc3339Seconds(Date.UTC(2026, 4, 1, 12, 0, 0))).toBe('2026-05-01T12:00:00Z');
    expect(rfc3339Seconds(Date.UTC(2026, 4, 1, 12, 0, 0) + 1)).toBe('2026-05-01T12:00:01Z');
  });

  it('rounds retry-after up to whole seconds, at least one', () => {
    expect(retryAfterSeconds(174)).toBe(1);
    expect(retryAfterSeconds(20_000)).toBe(20);
    expect(retryAfterSeconds(20_001)).toBe(21);
    expect(retryAfterSeconds(0)).toBe(1);
  });

  it('prints proto durations with up to nine fraction digits', () => {
    expect(protoDuration(26_211.922938)).toBe('26.211922938s');
    expect(protoDuration(33_000)).toBe('33s');
    expect(protoDuration(500)).toBe('0.5s');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampResetAt, RESET_TOLERANCE_MS } from '../../../src/providers/observe/reset-clamp.js';
import { lastObjectMember } from '../../../src/providers/parse/json-member.js';
import {
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  retryAfterFromHeaders,
} from '../../../src/providers/parse/retry-after.js';
import { parseEpochMs, parseRfc3339Ms } from '../../../src/providers/parse/timestamp.js';
import { headersOf, NOW } from '../helpers.js';

describe('Retry-After family (PROVIDERS.md §1.7, §7.2)', () => {
  it.each([
    [{ 'retry-after-ms': '2000' }, 2_000],
    [{ 'retry-after-ms': '5234', 'retry-after': '6' }, 5_234],
    [{ 'x-ms-retry-after-ms': '1500' }, 1_500],
    [{ 'retry-after': '56' }, 56_000],
    [{ 'retry-after': '1.5' }, 1_500],
    [{ 'retry-after': new Date(NOW + 7_000).toUTCString() }, 7_000],
    [{ 'retry-after': new Date(NOW - 7_000).toUTCString() }, 0],
    [{ 'retry-after': '99999999' }, MAX_RETRY_AFTER_MS],
    [{ 'retry-after-ms': 'soon', 'retry-after': '3' }, 3_000],
    [{ 'retry-after': '-5' }, undefined],
    [{ 'retry-after': '6'.repeat(400) }, undefined],
    [{ 'retry-after': 'NaN' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, ms) => {
    expect(retryAfterFromHeaders(headersOf(headers as Record<string, string>), NOW)).toBe(ms);
  });

  it('is total and clamped for any value', () => {
    fc.assert(
      fc.property(fc.string(), fc.double(), (value, now) => {
        const ms = parseRetryAfter(value.trim(), now);
        if (ms !== undefined) {
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
        }
      }),
    );
  });
});

describe('timestamps', () => {
  it('RFC 3339 with Z, fractions and offsets', () => {
    expect(parseRfc3339Ms('2026-05-01T12:00:01Z')).toBe(Date.UTC(2026, 4, 1, 12, 0, 1));
    expect(parseRfc3339Ms('2026-05-01T12:00:01.250Z')).toBe(Date.UTC(2026, 4, 1, 12, 0, 1, 250));
    expect(parseRfc3339Ms('2026-05-01T14:00:01+02:00')).toBe(Date.UTC(2026, 4, 1, 12, 0, 1));
    expect(parseRfc3339Ms('2026-13-45T99:00:00Z')).toBeUndefined();
    expect(parseRfc3339Ms('Fri, 01 May 2026 12:00:00 GMT')).toBeUndefined();
    expect(parseRfc3339Ms('1759750012')).toBeUndefined();
  });

  it('epoch seconds or ms by magnitude', () => {
    expect(parseEpochMs('1759750012000')).toBe(1759750012000);
    expect(parseEpochMs('1759750012')).toBe(1759750012000);
    expect(parseEpochMs('-1')).toBeUndefined();
  });
});

describe('clampResetAt', () => {
  it('keeps every result inside [now, now + window] and flags only real excursions', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: false }),
        fc.integer({ min: 0, max: 4e12 }),
        fc.constantFrom(1_000, 60_000, 86_400_000),
        (resetAt, now, windowMs) => {
          const clamped = clampResetAt(resetAt, now, windowMs);
          if (!Number.isFinite(resetAt)) {
            expect(clamped).toBeUndefined();
            return;
          }
          expect(clamped).toBeDefined();
          const { resetAt: at, clamped: flag } = clamped as NonNullable<typeof clamped>;
          expect(at).toBeGreaterThanOrEqual(now);
          expect(at).toBeLessThanOrEqual(now + windowMs);
          if (flag === 'past') expect(resetAt).toBeLessThan(now - RESET_TOLERANCE_MS);
          if (flag === 'future') expect(resetAt).toBeGreaterThan(now + windowMs + RESET_TOLERANCE_MS);
          if (flag === undefined && resetAt >= now && resetAt <= now + windowMs) expect(at).toBe(resetAt);
        },
      ),
    );
  });
});

describe('lastObjectMember', () => {
  it('finds the object of a member without parsing the rest', () => {
    expect(lastObjectMember('{"a":1,"usage":{"x":1,"y":[1,{"z":"}"}]}}', 'usage')).toEqual({
      x: 1,
      y: [1, { z: '}' }],
    });
    expect(lastObjectMember('{"usage":null}', 'usage')).toBeUndefined();
    expect(lastObjectMember('{"text":"\\"usage\\":{\\"x\\":1}"}', 'usage')).toBeUndefined();
    expect(lastObjectMember('{"text":"usage","usage" : {"n":2}}', 'usage')).toEqual({ n: 2 });
    expect(lastObjectMember('{"usage":{"n":', 'usage')).toBeUndefined();
  });

  it('agrees with JSON.parse on any object with a usage member', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (before, usage) => {
          const { usage: _drop, ...rest } = before;
          const text = JSON.stringify({ ...rest, usage });
          expect(lastObjectMember(text, 'usage')).toEqual(JSON.parse(text).usage);
        },
      ),
    );
  });
});

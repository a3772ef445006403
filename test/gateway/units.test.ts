/**
 * The gateway's small pure parts: tenant keys, Go-style durations for the
 * rate-limit headers and alert transitions (reading usage out of a body:
 * usage-body.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presentedKey, sha256Hex, TenantKeys } from '../../src/gateway/auth.js';
import type { BucketReading } from '../../src/gateway/state.js';
import { parseDurationMs } from '../../src/providers/parse/go-duration.js';
import { goDuration } from '../../src/runtime/exchange/budget-headers.js';
import { BucketAlerts } from '../../src/runtime/load/bucket-levels.js';

describe('tenant keys', () => {
  it('finds tenants by key or by configured SHA-256, and keeps only digests', () => {
    const keys = new TenantKeys([
      { id: 'acme', key: 'sk-acme-secret' },
      { id: 'globex', key_sha256: sha256Hex('sk-globex-secret').toUpperCase() },
    ]);
    expect(keys.tenantOf('sk-acme-secret')).toBe('acme');
    expect(keys.tenantOf('sk-globex-secret')).toBe('globex');
    expect(keys.tenantOf('sk-acme-secreT')).toBeUndefined();
    expect(keys.tenantOf('')).toBeUndefined();
    expect(JSON.stringify([...Object.values(keys)])).not.toContain('sk-acme-secret');
  });

  it('reads Bearer tokens (any case) and x-api-key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});

describe('Go-style durations (PROVIDERS.md §1.2)', () => {
  it('prints what OpenAI prints', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(0.4)).toBe('0s');
    expect(goDuration(12)).toBe('12ms');
    expect(goDuration(999.9)).toBe('999ms');
    expect(goDuration(1_000)).toBe('1s');
    expect(goDuration(3_114)).toBe('3.114s');
    expect(goDuration(8_640)).toBe('8.64s');
    expect(goDuration(360_000)).toBe('6m0s');
    expect(goDuration(977_764)).toBe('16m17.764s');
    expect(goDuration(3_723_500)).toBe('1h2m3.5s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(Number.NaN)).toBe('0s');
  });

  it('round-trips through the providers’ parser (truncated to whole ms)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 86_400_000, noNaN: true }), (ms) => {
        expect(parseDurationMs(goDuration(ms))).toBe(Math.floor(ms));
      }),
    );
  });
});

describe('bucket alerts', () => {
  const reading = (utilization: number): BucketReading => ({
    key: 'deployment:d:requests:minute',
    scope: 'deployment',
    owner: 'd',
    dimension: 'requests',
    window: 'minute',
    limit: 100,
    capacity: 90,
    remaining: 90 * (1 - utilization),
    used: 90 * utilization,
    utilization,
    resetMs: 0,
    pausedUntil: 0,
  });

  it('reports each transition once, with hysteresis on the way down', () => {
    const seen: string[] = [];
    const alerts = new BucketAlerts({ warn: 0.8, act: 0.9 }, (t) => seen.push(`${t.from}→${t.to}`));
    for (const u of [0.5, 0.81, 0.85, 0.92, 0.95, 0.88, 0.86, 0.84, 0.79, 0.76, 0.74, 0.91]) {
      alerts.update([reading(u)]);
    }
    // 0.88 and 0.86 stay "act" (within 5 points of 0.9); 0.79 and 0.76 stay "warn".
    expect(seen).toEqual(['0→1', '1→2', '2→1', '1→0', '0→2']);
    expect(alerts.levelOf('deployment:d:requests:minute')).toBe(2);
  });
});

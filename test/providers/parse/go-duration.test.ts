import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../../src/providers/parse/go-duration.js';

/** Go's Duration.String() of a whole-ms duration (the emitter's side, PROVIDERS.md §1.2). */
function goDuration(msIn: number): string {
  let ms = Math.max(0, Math.floor(msIn));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  const frac = ms % 1000;
  const sec = frac ? `${s}.${String(frac).padStart(3, '0').replace(/0+$/, '')}` : `${s}`;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}s`;
}

describe('parseDurationMs', () => {
  it.each([
    ['0s', 0],
    ['2ms', 2],
    ['6ms', 6],
    ['12ms', 12],
    ['20ms', 20],
    ['106ms', 106],
    ['425ms', 425],
    ['1s', 1_000],
    ['3.114s', 3_114],
    ['8.64s', 8_640],
    ['6m0s', 360_000],
    ['16m17.764s', 977_764],
    ['1h2m3.5s', 3_723_500],
    ['1h0m0s', 3_600_000],
    ['59.999s', 59_999],
    ['999ms', 999],
    ['7.66s', 7_660], // Groq
    ['2m59.56s', 179_560], // Groq
    ['2h6m43.2s', 7_603_200], // Groq requests per day, §8.16
    ['789.6ms', 789.6], // Groq message precision
    ['10', 10_000], // Azure bare seconds
    ['300', 300_000],
    ['33s', 33_000], // Gemini RetryInfo
    ['45.837906927s', 45_837.906927],
    ['373.801628ms', 373.801628], // Gemini ErrorInfo quotaResetDelay
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    [' 6m0s ', 360_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBeCloseTo(ms, 6);
  });

  it.each([
    '',
    ' ',
    's',
    'ms',
    '-1s',
    '1x',
    '1h-2m',
    '5 minutes',
    '1.s',
    '.5s',
    '1e3s',
    'NaN',
    'Infinity',
    '1h 2m',
    'x'.repeat(100),
  ])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('rejects non-strings', () => {
    expect(parseDurationMs(null)).toBeUndefined();
    expect(parseDurationMs(undefined)).toBeUndefined();
  });

  it('reads back every whole-ms duration Go prints', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
        expect(parseDurationMs(goDuration(ms))).toBeCloseTo(ms, 6);
      }),
    );
  });

  it('is total: any string gives a finite non-negative number or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[\d.hmsuµn ]{0,20}$/)), (text) => {
        const ms = parseDurationMs(text);
        if (ms !== undefined) {
          expect(Number.isFinite(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, type RequestLogLine } from '../../src/gateway/logging.js';
import { formatRequestLine } from '../../src/gateway/request-line.js';

/** What pino writes for the same line with the gateway's logger options, time taken from its output. */
function viaPino(line: RequestLogLine): { text: string; time: number } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } });
  logger.info(line, 'request');
  const text = lines[0] as string;
  return { text, time: (JSON.parse(text) as { time: number }).time };
}

const FULL: RequestLogLine = {
  request_id: '7d1c1f0e-3f0c-4c59-9d55-2b1c3a3c0c11',
  method: 'POST',
  path: '/v1/chat/completions',
  status: 429,
  tenant: 'acme "quoted" \\ tenant',
  group: 'gpt-4o-mini',
  deployment: 'azure-east',
  priority: 'high',
  wait_ms: 12.5,
  duration_ms: 40.125,
  input_tokens: 120,
  output_tokens: 0,
  retries: 2,
  stream: true,
  refusal: 'tenant_rate_limited',
  upstream_error: 'network',
  upstream_detail: 'connect ECONNREFUSED 127.0.0.1:9\nsecond line',
  aborted: true,
  cut: 'drain_timeout',
};

const MINIMAL: RequestLogLine = {
  request_id: 'id-1',
  method: 'GET',
  path: '/v1/models',
  status: 401,
  tenant: undefined,
  group: undefined,
  deployment: undefined,
  priority: undefined,
  wait_ms: undefined,
  duration_ms: 0.25,
  input_tokens: undefined,
  output_tokens: undefined,
  retries: 0,
  stream: false,
  refusal: undefined,
  upstream_error: undefined,
  upstream_detail: undefined,
  aborted: false,
  cut: undefined,
};

describe('the request line template', () => {
  it('writes byte for byte what pino writes, every field set', () => {
    const { text, time } = viaPino(FULL);
    expect(formatRequestLine(FULL, time)).toBe(text);
  });

  it('leaves out the fields a request never got to, as pino does', () => {
    const { text, time } = viaPino(MINIMAL);
    expect(formatRequestLine(MINIMAL, time)).toBe(text);
  });

  it('cuts and escapes client-chosen text (group, path) like the logger serializers', () => {
    const hostile: RequestLogLine = {
      ...MINIMAL,
      path: '/v1beta/models/\u202Egemini\u0000:generateContent',
      group: `\u202Egpt-4o-mini${'A'.repeat(200_000)}\u2028`,
    };
    const { text, time } = viaPino(hostile);
    const line = formatRequestLine(hostile, time);
    expect(line).toBe(text);
    expect(line.length).toBeLessThan(1_000);
    expect(line).not.toContain('\u202E');
  });

  it('writes a non-finite number as null, as JSON does', () => {
    const odd = { ...MINIMAL, wait_ms: Number.NaN, duration_ms: Number.POSITIVE_INFINITY };
    const { text, time } = viaPino(odd);
    expect(formatRequestLine(odd, time)).toBe(text);
  });
});

describe('durations in the request line', () => {
  it('writes every whole-µs duration as JSON does, and any other number too', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 10_000_000_000 }).map((us) => Math.round(us) / 1000),
          fc.double({ noNaN: false }),
        ),
        (ms) => {
          const line = { ...MINIMAL, wait_ms: ms, duration_ms: ms };
          const parsed = formatRequestLine(line, 0);
          const expected = JSON.stringify({ wait_ms: ms, duration_ms: ms }).slice(1, -1);
          expect(parsed).toContain(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

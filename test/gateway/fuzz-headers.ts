/**
 * Headers for the gateway fuzz (fuzz-requests.ts): the tenant's key where
 * its family's SDK puts it (now and then elsewhere, mangled or missing),
 * Sluice's control headers and the providers' own with garbage values,
 * values near and over Node's header limit, lines that break the header
 * grammar, and content encodings real, lying, unknown or named like
 * `Object.prototype` members.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { hostileString } from './fuzz-bodies.js';
import type { Family, FuzzKeys } from './fuzz-requests.js';

export const authFor = (family: Family, keys: FuzzKeys): fc.Arbitrary<[string, string][]> => {
  const tenant = fc.constantFrom(...keys.tenants);
  const own = (key: string): [string, string][] =>
    family === 'openai'
      ? [['authorization', `Bearer ${key}`]]
      : family === 'anthropic'
        ? [['x-api-key', key]]
        : [['x-goog-api-key', key]];
  return fc.oneof(
    { weight: 30, arbitrary: tenant.map(own) },
    {
      weight: 2,
      arbitrary: tenant.chain((k) =>
        fc.constantFrom<[string, string][]>(
          [['authorization', `Bearer ${k}`]],
          [['x-api-key', k]],
          [['x-goog-api-key', k]],
          [['authorization', `bearer   ${k}  `]],
          [['authorization', `Basic ${k}`]],
          [['x-api-key', ` ${k}`]],
          [
            ['authorization', `Bearer ${k}`],
            ['x-api-key', 'sk-FUZZKEY-other'],
          ],
        ),
      ),
    },
    { weight: 1, arbitrary: fc.constant<[string, string][]>([]) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<[string, string][]>(
        [['authorization', 'Bearer sk-FUZZKEY']],
        [['authorization', 'Bearer']],
        [['authorization', '']],
        [['x-api-key', 'FUZZKEY'.repeat(1_000)]],
        [['x-goog-api-key', 'AIza-FUZZKEY']],
      ),
    },
  );
};

const header = (name: string, values: fc.Arbitrary<string>) => values.map((v): [string, string] => [name, v]);

/** A few of these per request (most requests carry none or one). */
export const optionalHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  header(
    'x-sluice-priority',
    fc.constantFrom(
      'low',
      'normal',
      'high',
      'critical',
      'low',
      'normal',
      'high',
      'critical',
      '',
      'urgent',
      '__proto__',
      'constructor',
      ' low',
      'LOW',
    ),
  ),
  header(
    'x-sluice-max-wait-ms',
    fc.constantFrom(
      '0',
      '50',
      '100000',
      '0',
      '50',
      '100000',
      '1e3',
      '',
      ' ',
      'abc',
      '-1',
      '1e400',
      'Infinity',
      'NaN',
      '0x10',
      ' 50 ',
    ),
  ),
  header('x-sluice-downgrade', fc.constantFrom('allow', 'deny', '')),
  header('x-sluice-tenant', fc.constantFrom('big-co', 'free-co', '__proto__')),
  header('anthropic-version', fc.constantFrom('2023-06-01', '2023-01-01', '', 'garbage', '__proto__')),
  header(
    'anthropic-beta',
    fc.constantFrom(
      'files-api-2025-04-14',
      'context-1m-2025-08-07,output-128k-2025-02-19',
      '',
      ',,,',
      'x'.repeat(2_000),
    ),
  ),
  header('openai-beta', fc.constantFrom('assistants=v2', 'garbage')),
  header('openai-organization', fc.constant('org-FUZZKEY')),
  header(
    'traceparent',
    fc.constantFrom('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'garbage'),
  ),
  header(
    'x-client-request-id',
    hostileString.map((s) =>
      Array.from(s)
        .filter((c) => c >= ' ' && c !== '\u007f')
        .join('')
        .slice(0, 1_000),
    ),
  ),
  header(
    'content-type',
    fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'garbage/'),
  ),
  // Huge values below Node's 16 KiB header limit, now and then above it (431).
  header(
    'x-padding',
    fc
      .oneof(
        { weight: 6, arbitrary: fc.integer({ min: 500, max: 14_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 14_000, max: 20_000 }) },
      )
      .map((n) => 'p'.repeat(n)),
  ),
  header('accept', fc.constantFrom('text/event-stream', '*/*', 'application/json')),
  header('expect', fc.constantFrom('100-continue', '100-continue', '200-ok')),
  header('connection', fc.constantFrom('close', 'keep-alive', 'upgrade')),
  header('x-unicode', fc.constantFrom('héllo', '🙂', '\u202e')),
);

/** Lines that break the header grammar (each makes the parser refuse the request). */
export const brokenHeader = fc.constantFrom<[string, string]>(
  ['x-bad header', 'v'],
  ['x-ctl\u0001', 'v'],
  ['x-nul', 'a\u0000b'],
  ['', 'v'],
  ['content-length', 'abc'],
  ['content-length', '-1'],
  ['transfer-encoding', 'gzip'],
);

// --- content encodings ---

export type Encoding = { readonly header: string; readonly encode: (body: Buffer) => Buffer };

export const encoding: fc.Arbitrary<Encoding | undefined> = fc.oneof(
  { weight: 20, arbitrary: fc.constant(undefined) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Encoding>(
      { header: 'gzip', encode: (b) => gzipSync(b) },
      { header: 'GZIP', encode: (b) => gzipSync(b) },
      { header: 'deflate', encode: (b) => deflateSync(b) },
      { header: 'br', encode: (b) => brotliCompressSync(b) },
      { header: 'identity', encode: (b) => b },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Encoding>(
      { header: 'gzip', encode: (b) => b }, // says gzip, is not
      { header: 'gzip', encode: (b) => gzipSync(b).subarray(0, Math.max(10, b.length >> 2)) }, // cut short
      { header: 'gzip', encode: () => gzipSync(Buffer.alloc(2_000_000, 0x20)) }, // a bomb past the body limit
      { header: 'br', encode: (b) => gzipSync(b) },
      { header: 'constructor', encode: (b) => b },
      { header: '__proto__', encode: (b) => b },
      { header: 'toString', encode: (b) => b },
      { header: 'gzip, br', encode: (b) => brotliCompressSync(gzipSync(b)) },
      { header: 'compress', encode: (b) => b },
      { header: '', encode: (b) => b },
    ),
  },
);

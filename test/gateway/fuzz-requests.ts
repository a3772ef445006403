/**
 * Hostile but realistic HTTP requests for the gateway fuzz (fuzz.test.ts):
 * what a buggy client, a scanner or a tenant probing the gateway sends, as
 * fast-check arbitraries over a plain `FuzzRequest` that `toBytes` writes
 * byte for byte (no client in between to validate or normalise it).
 *
 * Most requests are nearly right (a known route, a tenant's key, a body of
 * the route's shape) with one or a few things wrong, so they get past the
 * early checks and reach admission, the tokenizer and the upstream; the
 * rest are wrong from the first byte.
 */
import fc from 'fast-check';
import { bodyBytes, GROUPS, type RouteKind } from './fuzz-bodies.js';
import { authFor, brokenHeader, encoding, optionalHeader } from './fuzz-headers.js';

export type Family = 'openai' | 'anthropic' | 'gemini';

export interface FuzzRequest {
  readonly method: string;
  /** The request target up to its query, exactly as written on the wire. */
  readonly path: string;
  /** `''` or `?…`. */
  readonly query: string;
  readonly version: 'HTTP/1.1' | 'HTTP/1.0';
  /** Written in order; values as UTF-8 bytes (so unicode arrives as obs-text). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly framing: Framing;
  /** The client goes away before the whole answer: right after sending, or once the answer starts. */
  readonly leave?: { readonly at: 'send' | 'head'; readonly afterMs: number } | undefined;
  /** Send a `/healthz` on the same connection once the answer is whole (when it kept the connection open). */
  readonly followUp?: boolean;
}

/**
 * How the body is delimited: honestly (`length`, `chunked`), not at all
 * (`none`: the bytes become the start of a next request), or with a
 * `content-length` that lies by a bounded amount (`short`: the rest is read
 * as a next request; `long`: the server waits for bytes that never come,
 * until the client half-closes or the request timeout).
 */
export type Framing =
  | { readonly kind: 'length' }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'none' }
  | { readonly kind: 'length-and-chunked' }
  | { readonly kind: 'short'; readonly by: number }
  | { readonly kind: 'long'; readonly by: number; readonly halfClose: boolean };

/** The gateway's tenant keys (helpers.ts KEYS); `FUZZKEY` marks every made-up one. */
export interface FuzzKeys {
  readonly tenants: readonly string[];
}

export function toBytes(request: FuzzRequest): Buffer {
  const { body, framing } = request;
  const lines = [`${request.method} ${request.path}${request.query} ${request.version}`];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  let payload = body;
  switch (framing.kind) {
    case 'length':
      lines.push(`content-length: ${body.length}`);
      break;
    case 'chunked':
    case 'length-and-chunked':
      if (framing.kind === 'length-and-chunked') lines.push(`content-length: ${body.length}`);
      lines.push('transfer-encoding: chunked');
      payload = chunked(body);
      break;
    case 'none':
      break;
    case 'short':
      lines.push(`content-length: ${Math.max(0, body.length - framing.by)}`);
      break;
    case 'long':
      lines.push(`content-length: ${body.length + framing.by}`);
      break;
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload]);
}

/** The body in a few chunks of uneven sizes, as a client streaming it would send. */
function chunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  let size = 7;
  while (at < body.length) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    at += piece.length;
    size = size * 13 + 1;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** A short description for failure messages (long values cut). */
export function describeRequest(request: FuzzRequest): string {
  const cut = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n)}…(${s.length})` : s);
  const headers = request.headers.map(([n, v]) => `${cut(n, 40)}: ${cut(v, 60)}`).join(' | ');
  const leave = `${request.leave ? ` leaves at ${request.leave.at}+${request.leave.afterMs}ms` : ''}${request.followUp ? ' +healthz' : ''}`;
  return `${request.method} ${cut(request.path)}${cut(request.query, 60)} ${request.version} [${request.framing.kind}${leave}] {${headers}} body(${request.body.length}): ${cut(request.body.toString('utf8'), 200)}`;
}

// --- routes and paths ---

interface RouteChoice {
  readonly path: string;
  readonly kind: RouteKind;
  readonly family: Family;
}

const KNOWN: readonly RouteChoice[] = [
  { path: '/v1/chat/completions', kind: 'chat', family: 'openai' },
  { path: '/v1/responses', kind: 'responses', family: 'openai' },
  { path: '/v1/completions', kind: 'completions', family: 'openai' },
  { path: '/v1/embeddings', kind: 'embeddings', family: 'openai' },
  { path: '/v1/messages', kind: 'messages', family: 'anthropic' },
  { path: '/v1/messages/count_tokens', kind: 'count_tokens', family: 'anthropic' },
];

const geminiNative = fc
  .tuple(
    fc.constantFrom('/v1beta/models/', '/v1beta/models/', '/v1/models/'),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(GROUPS.gemini) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(GROUPS.openai, 'no-such-group', 'gemini-2.5-flash', 'a.b_c-d'),
      },
    ),
    fc.constantFrom(
      ':generateContent',
      ':streamGenerateContent',
      '%3AgenerateContent',
      '%3astreamGenerateContent',
    ),
  )
  .map(([prefix, name, verb]) => `${prefix}${name}${verb}`);

/** Gemini-shaped paths that try to leave their one segment. */
const geminiTrick = fc
  .tuple(
    fc.constantFrom(
      '/v1beta/models/',
      '/v1/models/',
      '/v1beta/tunedModels/',
      '/v1beta/',
      '/v1/tunedModels/',
      '/v1beta/cachedContents/',
    ),
    fc.array(
      fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2E%2E%2F',
        '%2f',
        '%5c',
        '\\',
        '..\\',
        'models',
        'tunedModels',
        GROUPS.gemini,
        'x',
        '%00',
        '',
      ),
      { minLength: 1, maxLength: 4 },
    ),
    fc.constantFrom('/', '', '%2F'),
    fc.constantFrom(
      ':generateContent',
      '%3AgenerateContent',
      ':streamGenerateContent',
      ':countTokens',
      ':embedContent',
      '',
    ),
    fc.constantFrom('', '', '/', '/..', '%2f..'),
  )
  .map(([prefix, segments, join, verb, tail]) => `${prefix}${segments.join(join)}${verb}${tail}`);

const unknownPath = fc.oneof(
  fc.constantFrom(
    '/',
    '/v1',
    '/v1/',
    '/v2/chat/completions',
    '/v1/chat/completions/',
    '/V1/CHAT/COMPLETIONS',
    '/v1/messages/',
    '/v1/messages/batches',
    '/v1//chat/completions',
    '/v1/./chat/completions',
    '/v1/chat/../chat/completions',
    '/v1beta/openai/chat/completions',
    '/v1/models',
    '/v1/models/gpt-4o-mini',
    '/healthz',
    '/readyz',
    '/metrics',
    '/v1/chat/completions%00',
    '/%2e%2e/%2e%2e/etc/passwd',
    'http://evil.example/v1/chat/completions',
    '*',
  ),
  fc.string({ unit: fc.constantFrom(...'abcxyz019/._-%~:'.split('')), maxLength: 30 }).map((s) => `/${s}`),
);

interface Target {
  readonly path: string;
  readonly kind: RouteKind;
  readonly family: Family;
}

const target: fc.Arbitrary<Target> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...KNOWN) },
  {
    weight: 4,
    arbitrary: geminiNative.map((path) => ({ path, kind: 'gemini' as const, family: 'gemini' as const })),
  },
  {
    weight: 3,
    arbitrary: geminiTrick.map((path) => ({ path, kind: 'gemini' as const, family: 'gemini' as const })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(unknownPath, fc.constantFrom<RouteKind>('chat', 'messages', 'gemini')).map(
      ([path, kind]) =>
        ({
          path,
          kind,
          family: kind === 'messages' ? 'anthropic' : kind === 'gemini' ? 'gemini' : 'openai',
        }) as Target,
    ),
  },
);

const method = fc.oneof(
  { weight: 40, arbitrary: fc.constant('POST') },
  { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH') },
  { weight: 1, arbitrary: fc.constantFrom('FOO', 'post', 'PROPFIND', 'CONNECT', 'G ET', '') },
);

const query = (keys: FuzzKeys) =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constant('') },
    {
      weight: 3,
      arbitrary: fc
        .array(
          fc.oneof(
            fc.constantFrom(...keys.tenants).map((k) => `key=${k}`),
            fc.constantFrom(
              'key=AIza-FUZZKEY',
              'api-version=2024-10-21',
              'api-version=../..',
              'alt=sse',
              'alt=json',
              'beta=true',
              'x=%2e%2e%2f',
              '%zz',
              '&&',
              'key',
            ),
          ),
          { minLength: 1, maxLength: 3 },
        )
        .map((parts) => `?${parts.join('&')}`),
    },
  );

const framing: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 40, arbitrary: fc.constant({ kind: 'length' } as const) },
  { weight: 3, arbitrary: fc.constant({ kind: 'chunked' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'length-and-chunked' } as const) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((by) => ({ kind: 'short', by }) as const) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 1_000 }), fc.boolean())
      .map(([by, halfClose]) => ({ kind: 'long', by, halfClose }) as const),
  },
);

export function fuzzRequest(keys: FuzzKeys): fc.Arbitrary<FuzzRequest> {
  return target.chain((t) =>
    fc
      .record({
        method,
        query: query(keys),
        version: fc.constantFrom<FuzzRequest['version']>(
          'HTTP/1.1',
          'HTTP/1.1',
          'HTTP/1.1',
          'HTTP/1.1',
          'HTTP/1.0',
        ),
        host: fc.oneof(
          { weight: 12, arbitrary: fc.constant<[string, string][]>([['host', 'localhost']]) },
          {
            weight: 1,
            arbitrary: fc.constantFrom<[string, string][]>([], [['host', '']], [['host', 'evil.example:1']]),
          },
        ),
        auth: authFor(t.family, keys),
        more: fc.array(optionalHeader, { maxLength: 2 }),
        broken: fc.oneof(
          { weight: 30, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: brokenHeader },
        ),
        encoding,
        body: bodyBytes(t.kind),
        framing,
        followUp: fc.boolean(),
        leave: fc.oneof(
          { weight: 12, arbitrary: fc.constant(undefined) },
          {
            weight: 1,
            arbitrary: fc.record({
              at: fc.constantFrom<'send' | 'head'>('send', 'head'),
              afterMs: fc.integer({ min: 0, max: 30 }),
            }),
          },
        ),
      })
      .map((r): FuzzRequest => {
        const headers: [string, string][] = [...r.host, ...r.auth];
        // A family's own version header, as its SDK sends it (the fuzzed one may replace it).
        if (t.family === 'anthropic' && !r.more.some(([n]) => n === 'anthropic-version'))
          headers.push(['anthropic-version', '2023-06-01']);
        if (!r.more.some(([n]) => n === 'content-type')) headers.push(['content-type', 'application/json']);
        headers.push(...r.more);
        let body = r.body;
        if (r.encoding) {
          headers.push(['content-encoding', r.encoding.header]);
          body = r.encoding.encode(body);
        }
        if (r.broken) headers.splice(1, 0, r.broken);
        return {
          method: r.method,
          path: t.path,
          query: r.query,
          version: r.version,
          headers,
          body,
          framing: r.framing,
          leave: r.leave,
          followUp: r.followUp,
        };
      }),
  );
}

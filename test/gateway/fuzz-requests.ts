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
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

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

export const GROUPS = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku', gemini: 'gemini-flash' } as const;

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

// --- strings ---

const RUN_CHARS = ['A', 'x', ' ', '\n', '0', 'é', '🙂', '\u202e', '\u0000', '\\', '"', '<'];

/** A long unbroken run of one character, up to ~50 k. */
export const longRun = fc
  .tuple(fc.constantFrom(...RUN_CHARS), fc.integer({ min: 1_000, max: 50_000 }))
  .map(([c, n]) => c.repeat(Math.ceil(n / c.length)));

/** Strings a careless or hostile client puts where a name or a text belongs. */
export const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u202egpt-4o-mini',
      'gpt-4o-mini\u0000',
      'gpt-4o-mini\r\nx-injected: 1',
      '../../etc/passwd',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder is the hostile input
      '${HOME}',
      '%s%s%s%n',
      '\ud800',
      '\udfff\ud800',
      '😀'.repeat(100),
      'ﷺ'.repeat(300),
    ),
  },
  { weight: 1, arbitrary: longRun },
);

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, [], {}, '', 'x'),
  hostileString,
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), {
    maxKeys: 3,
  }),
);

/** Mostly the right value, sometimes missing (undefined) or junk. */
function mostly<T>(right: fc.Arbitrary<T>, wrongWeight = 1): fc.Arbitrary<T | unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: right },
    { weight: wrongWeight, arbitrary: fc.constant(undefined) },
    { weight: wrongWeight, arbitrary: junkValue },
  );
}

const text = fc.oneof(
  { weight: 6, arbitrary: fc.lorem({ maxCount: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: longRun },
);

/**
 * The route's group, another family's, or a name no group has. Not the
 * Gemini group on OpenAI paths: a Gemini deployment serves those through
 * Google's OpenAI-compatible endpoint, which the simulator does not have,
 * and upstream errors are relayed as received (in Google's format).
 */
const model = (group: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constant(group) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ...(group === GROUPS.openai ? [GROUPS.anthropic] : [GROUPS.openai, GROUPS.gemini]),
        'no-such-group',
        'GPT-4O-MINI',
        'gpt-4o-mini ',
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: junkValue },
  );

const maxTokens = mostly(fc.integer({ min: 1, max: 64 }));
const stream = fc.constantFrom(undefined, true, false, 'true', 1, null, {});

// --- messages ---

const role = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('user', 'assistant') },
  { weight: 1, arbitrary: fc.constantFrom('system', 'tool', 'developer', 'model', 'User', '') },
  { weight: 2, arbitrary: junkValue },
);

const contentPart = fc.oneof(
  text.map((t) => ({ type: 'text', text: t })),
  fc.record({ type: junkValue, text: junkValue }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('image_url'), image_url: junkValue }),
);

const content = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 2, arbitrary: fc.array(contentPart, { maxLength: 3 }) },
  { weight: 1, arbitrary: junkValue },
);

const message = fc.oneof(
  { weight: 8, arbitrary: fc.record({ role, content }) },
  { weight: 1, arbitrary: fc.record({ role, content }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: junkValue },
);

const messages = fc.oneof(
  { weight: 8, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: junkValue },
);

// --- bodies per route ---

export type RouteKind =
  | 'chat'
  | 'responses'
  | 'completions'
  | 'embeddings'
  | 'messages'
  | 'count_tokens'
  | 'gemini';

const extras = fc.record(
  {
    user: hostileString,
    metadata: junkValue,
    tools: junkValue,
    stream_options: fc.oneof(fc.constant({ include_usage: true }), junkValue),
    temperature: junkValue,
    n: fc.constantFrom(1, 2, 0, -1, 1e9),
    padding: longRun,
  },
  { requiredKeys: [] },
);

const BODIES: Readonly<Record<RouteKind, fc.Arbitrary<Record<string, unknown>>>> = {
  chat: fc.record({ model: model(GROUPS.openai), messages, max_tokens: maxTokens, stream }),
  responses: fc.record({
    model: model(GROUPS.openai),
    input: fc.oneof(text, messages, junkValue),
    instructions: mostly(text),
    max_output_tokens: maxTokens,
    stream,
  }),
  completions: fc.record({
    model: model(GROUPS.openai),
    prompt: fc.oneof(text, junkValue),
    max_tokens: maxTokens,
  }),
  embeddings: fc.record({
    model: model(GROUPS.openai),
    input: fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.array(fc.nat(), { maxLength: 5 }), junkValue),
  }),
  messages: fc.record({
    model: model(GROUPS.anthropic),
    max_tokens: maxTokens,
    messages,
    system: mostly(text),
    stream,
  }),
  count_tokens: fc.record({ model: model(GROUPS.anthropic), messages, system: mostly(text) }),
  gemini: fc.record({
    contents: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.array(
          fc.record({
            role: fc.oneof(fc.constantFrom('user', 'model'), junkValue),
            parts: fc.oneof(fc.array(fc.record({ text })), junkValue),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      },
      { weight: 1, arbitrary: text },
      { weight: 1, arbitrary: junkValue },
    ),
    generationConfig: mostly(fc.record({ maxOutputTokens: maxTokens })),
    systemInstruction: mostly(fc.record({ parts: fc.array(fc.record({ text }), { maxLength: 2 }) }), 3),
  }),
};

const bodyObject = (kind: RouteKind) =>
  fc
    .tuple(BODIES[kind], fc.option(extras, { freq: 4 }))
    .map(([body, extra]) => ({ ...body, ...(extra ?? {}) }));

/** `[[[…]]]` or `{"a":{"a":…}}` this deep. */
function nesting(depth: number, object: boolean): string {
  return object
    ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    : `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** The body's bytes: mostly JSON of the route's shape, sometimes anything but. */
function bodyBytes(kind: RouteKind): fc.Arbitrary<Buffer> {
  const json = bodyObject(kind).map((o) => Buffer.from(JSON.stringify(o), 'utf8'));
  return fc.oneof(
    { weight: 24, arbitrary: json },
    {
      weight: 2,
      // A valid body with a field nested deep (128 is the bound: either side of it)
      arbitrary: fc
        .tuple(bodyObject(kind), fc.integer({ min: 100, max: 12_000 }), fc.boolean())
        .map(([o, depth, object]) =>
          Buffer.from(JSON.stringify(o).replace(/}$/, `,"deep":${nesting(depth, object)}}`), 'utf8'),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            '',
            '{',
            '{"model":',
            'null',
            '[]',
            '[{}]',
            '123',
            '"str"',
            'true',
            '{}',
            '{"model":null}',
          ),
          fc.string({ maxLength: 60 }),
          json.map((b) => Buffer.concat([Buffer.from('\ufeff'), b]).toString('utf8')),
          json.map((b) => `${b.toString('utf8')} trailing`),
          json.map((b) => b.toString('utf8').slice(0, Math.floor(b.length / 2))),
        )
        .map((s) => Buffer.from(s, 'utf8')),
    },
    {
      weight: 1,
      // Not UTF-8 inside a string
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 20 })
        .map((bytes) =>
          Buffer.concat([
            Buffer.from(`{"model":"${GROUPS.openai}","messages":[{"role":"user","content":"`),
            bytes,
            Buffer.from('"}]}'),
          ]),
        ),
    },
  );
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

// --- headers ---

const authFor = (family: Family, keys: FuzzKeys): fc.Arbitrary<[string, string][]> => {
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
const optionalHeader: fc.Arbitrary<[string, string]> = fc.oneof(
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
const brokenHeader = fc.constantFrom<[string, string]>(
  ['x-bad header', 'v'],
  ['x-ctl\u0001', 'v'],
  ['x-nul', 'a\u0000b'],
  ['', 'v'],
  ['content-length', 'abc'],
  ['content-length', '-1'],
  ['transfer-encoding', 'gzip'],
);

// --- content encodings ---

type Encoding = { readonly header: string; readonly encode: (body: Buffer) => Buffer };

const encoding: fc.Arbitrary<Encoding | undefined> = fc.oneof(
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

/**
 * Requests Node's HTTP parser refuses before any route sees them (400, 408,
 * 417, 431) get the provider's error JSON like every other refusal, with
 * `connection: close`, over a raw socket (an SDK cannot send these).
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { baseConfig, KEYS, type Rig, type RigOptions, rigsClosedAfterEach } from './helpers.js';

const startTestRig = rigsClosedAfterEach();

async function rig(options: RigOptions = {}): Promise<Rig> {
  return startTestRig(options);
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `bytes` on a fresh connection (`halfClose`: then ends its side) and reads until the server closes it. */
function raw(url: string, bytes: string, options: { halfClose?: boolean } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
      if (options.halfClose) socket.end();
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) });
    });
  });
}

function expectJsonAnswer(answer: RawAnswer, status: number): unknown {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  return JSON.parse(answer.body);
}

describe("Node's parser refusals in the provider's format", () => {
  it('431 for headers over the limit, in OpenAI’s envelope by default', async () => {
    const r = await rig();
    const answer = await raw(
      r.gateway.url,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(expectJsonAnswer(answer, 431)).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringMatching(/headers too large/) },
    });
    expect(answer.headers['x-should-retry']).toBe('false');
  });

  it('400 for a malformed request, in Anthropic’s envelope on an Anthropic request', async () => {
    const r = await rig();
    const answer = await raw(
      r.gateway.url,
      'POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\nContent-Length: abc\r\n\r\n',
    );
    expect(expectJsonAnswer(answer, 400)).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/not valid HTTP/) },
    });
  });

  it('400 for garbage in the request line, in Gemini’s envelope on a Gemini path', async () => {
    const r = await rig();
    const answer = await raw(
      r.gateway.url,
      'POST /v1beta/models/gemini-2.5-flash:generateContent HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    );
    expect(expectJsonAnswer(answer, 400)).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT' },
    });
  });

  it('400 in OpenAI’s envelope for bytes that are not HTTP at all', async () => {
    const r = await rig();
    const answer = await raw(r.gateway.url, '\u0000\u0001 hello\r\n\r\n');
    expect(expectJsonAnswer(answer, 400)).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('417 for an Expect other than 100-continue', async () => {
    const r = await rig();
    const answer = await raw(
      r.gateway.url,
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(expectJsonAnswer(answer, 417)).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringMatching(/100-continue/) },
    });
  });

  it('408 for a request that stops arriving (real time: about 0.3 s)', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, { server: { headers_timeout_ms: 150, request_timeout_ms: 150 } }),
    });
    // Headers never finish. (A timeout comes with no bytes to guess the family from: OpenAI's envelope.)
    const answer = await raw(r.gateway.url, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
    expect(expectJsonAnswer(answer, 408)).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringMatching(/did not arrive in time/) },
    });
    expect(answer.headers['x-should-retry']).toBeUndefined();
  });

  it('408 in the envelope of the request whose body stops arriving (real time: about 0.3 s)', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, { server: { headers_timeout_ms: 150, request_timeout_ms: 150 } }),
    });
    // The request line is in: its path says Anthropic, though the timeout error carries no bytes.
    const answer = await raw(
      r.gateway.url,
      `POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEYS.pro}\r\nContent-Length: 100\r\n\r\n{"model":`,
    );
    expect(expectJsonAnswer(answer, 408)).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/did not arrive in time/) },
    });
  });

  it('400 in Gemini’s envelope, code and all, when the connection ends inside a Gemini body', async () => {
    const r = await rig();
    const answer = await raw(
      r.gateway.url,
      `POST /v1beta/models/gemini-flash:generateContent HTTP/1.1\r\nHost: x\r\nx-goog-api-key: ${KEYS.pro}\r\nContent-Length: 100\r\n\r\n{"contents":`,
      { halfClose: true },
    );
    expect(expectJsonAnswer(answer, 400)).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });

  it('an OpenAI path keeps OpenAI’s envelope even with an anthropic-version header', async () => {
    const r = await rig();
    const answer = await raw(
      r.gateway.url,
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\nContent-Length: abc\r\n\r\n',
    );
    const body = expectJsonAnswer(answer, 400) as Record<string, unknown>;
    expect(body).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(body.type).toBeUndefined();
  });

  it('400 in the caller’s envelope for an HTTP/1.1 request without Host (Node’s own answer has no body)', async () => {
    const r = await rig();
    const anthropic = await raw(
      r.gateway.url,
      'POST /v1/messages HTTP/1.1\r\nanthropic-version: 2023-06-01\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(expectJsonAnswer(anthropic, 400)).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/Host/) },
    });
    const gemini = await raw(r.gateway.url, 'GET /v1beta/models HTTP/1.1\r\n\r\n');
    expect(expectJsonAnswer(gemini, 400)).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    // HTTP/1.0 has no Host requirement.
    const old = await raw(r.gateway.url, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(old.status).toBe(200);
  });

  it('a CONNECT gets an answer in the caller’s envelope, not a closed socket (the gateway is no proxy)', async () => {
    const r = await rig();
    const gemini = await raw(
      r.gateway.url,
      `CONNECT /v1beta/models/gemini-flash:generateContent HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`,
    );
    expect(expectJsonAnswer(gemini, 404)).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    const proxy = await raw(
      r.gateway.url,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(expectJsonAnswer(proxy, 404)).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('keeps serving after each of them', async () => {
    const r = await rig();
    await raw(r.gateway.url, 'NOT HTTP\r\n\r\n');
    expect((await fetch(`${r.gateway.url}/healthz`)).status).toBe(200);
  });
});

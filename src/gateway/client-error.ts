/**
 * Answers for requests Node's HTTP parser refuses before any route sees
 * them: a malformed request line or header (400), headers over the size
 * limit (431), a request that did not arrive in time (408), an `Expect`
 * other than `100-continue` (417), an HTTP/1.1 request without `Host`
 * (400), a `CONNECT` (404; Node would close the socket without a word).
 * Node's own answers have an empty body, so an SDK shows a bare status;
 * here they carry the provider's error JSON like
 * every other refusal, in the family the request looks like (its path,
 * `anthropic-version`), OpenAI's when nothing says otherwise. The connection
 * is closed after the answer: once parsing failed, where the next request
 * would start is unknown.
 */

import { type IncomingMessage, maxHeaderSize, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApiFamily } from '../providers/api-family.js';
import { type Refusal, refusal } from '../runtime/refusal.js';
import type { GatewayContext } from './context.js';
import { type DirectRequest, directRefusal, writeRefusal } from './respond.js';
import { familyOfRequest, familyOfUrl } from './routes.js';

interface ParserError extends Error {
  code?: string;
  /** The bytes being parsed when the parser gave up (Node sets it on `HPE_*` errors). */
  rawPacket?: Buffer;
}

/** Node's status for each parser error (its own `socketOnError` mapping), as a refusal. */
function refusalOf(code: string | undefined): Refusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return refusal(
        'headers_too_large',
        `Request headers too large: the gateway accepts at most ${maxHeaderSize} bytes of request line and headers.`,
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return refusal('body_too_large', 'Chunk extensions too large in the request body.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return refusal(
        'request_timeout',
        'The request did not arrive in time: send its headers and body without pausing.',
      );
    default:
      return refusal('invalid_http', `The request is not valid HTTP/1.1 (${code ?? 'parse error'}).`);
  }
}

/** `server.on('clientError', answerClientError)`. Never throws: a failure here only closes the socket. */
export function answerClientError(ctx: GatewayContext, error: ParserError, duplex: Duplex): void {
  const socket = duplex as Socket & { _httpMessage?: (ServerResponse & { req?: IncomingMessage }) | null };
  try {
    // The peer is gone, or an answer to an earlier request is already on the wire (writing now
    // would corrupt it): all that is left is closing (Node's own handler makes the same checks).
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    // A request whose head was parsed (its body timed out or was cut, or garbage followed it) is
    // what the client waits for an answer to: its family, not a guess from the bytes at hand
    // (a timeout carries none, a cut body only body bytes).
    const pending = socket._httpMessage?.req;
    const line = pending
      ? { method: pending.method ?? '', path: pathOf(pending.url) }
      : lineOf(error.rawPacket);
    answerAndClose(
      socket,
      pending ? familyOfRequest(pending) : guessFamily(error.rawPacket),
      refusalOf(error.code),
      { ctx, ...line },
    );
  } catch {
    socket.destroy();
  }
}

/**
 * `server.on('connect', answerConnect)`: the gateway is not a proxy. With no
 * listener Node destroys a CONNECT request's socket without a word; this
 * answers 404 like any method and path no route serves, and closes.
 */
export function answerConnect(ctx: GatewayContext, req: IncomingMessage, duplex: Duplex): void {
  const socket = duplex as Socket;
  try {
    answerAndClose(
      socket,
      familyOfRequest(req),
      refusal('not_found', `Unknown request URL: CONNECT ${req.url ?? ''}.`),
      { ctx, method: 'CONNECT', path: req.url ?? '' },
    );
  } catch {
    socket.destroy();
  }
}

/** Writes a whole answer straight to the socket (no `ServerResponse` exists or may be used) and closes it. */
function answerAndClose(socket: Socket, family: ApiFamily, why: Refusal, request: DirectRequest): void {
  const answer = directRefusal(family, why, request);
  const body = answer.body ?? '';
  const head = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}`];
  for (let i = 0; i < answer.headers.length; i += 2)
    head.push(`${answer.headers[i]}: ${answer.headers[i + 1]}`);
  head.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close');
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  // The server keeps half-open sockets; after this answer nothing more is read.
  socket.once('finish', () => socket.destroy());
}

/**
 * HTTP/1.1 requires `Host` (RFC 9112 §3.2: 400 without one). Node's own
 * check answers with an empty body, so the server turns it off
 * (`requireHostHeader: false`) and calls this first: true when it answered.
 */
export function answerMissingHost(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.host !== undefined || req.httpVersionMajor !== 1 || req.httpVersionMinor !== 1)
    return false;
  res.shouldKeepAlive = false;
  writeRefusal(
    res,
    familyOfRequest(req),
    refusal('invalid_http', 'An HTTP/1.1 request must carry a Host header.'),
    { ctx, method: req.method ?? '', path: pathOf(req.url) },
  );
  return true;
}

/** `server.on('checkExpectation', answerExpectation)`: 417 for an `Expect` other than 100-continue. */
export function answerExpectation(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  try {
    res.shouldKeepAlive = false;
    writeRefusal(
      res,
      familyOfRequest(req),
      refusal('expectation_failed', 'Expectation failed: the gateway supports only "Expect: 100-continue".'),
      { ctx, method: req.method ?? '', path: pathOf(req.url) },
    );
  } catch {
    res.destroy();
  }
}

/** The family a half-parsed request belongs to, from its request line and headers when they are there. */
function guessFamily(raw: Buffer | undefined): ApiFamily {
  if (!raw || raw.length === 0) return 'openai';
  // Only the start matters; a parse error may come after megabytes of header.
  const text = raw.subarray(0, 8_192).toString('latin1');
  const line = /^[A-Za-z]+ (\S+)/.exec(text);
  const target = line?.[1] ?? '';
  const q = target.indexOf('?');
  return familyOfUrl(q < 0 ? target : target.slice(0, q), /\r\nanthropic-version\s*:/i.test(text));
}

/** The path of a request target, without its query (which may carry secrets). */
function pathOf(url: string | undefined): string {
  const target = url ?? '';
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** Method and path of a half-parsed request, for its log line (empty when unreadable). */
function lineOf(raw: Buffer | undefined): { method: string; path: string } {
  const text = raw ? raw.subarray(0, 8_192).toString('latin1') : '';
  const line = /^([A-Za-z]+) (\S+)/.exec(text);
  return { method: line?.[1] ?? '', path: pathOf(line?.[2]) };
}

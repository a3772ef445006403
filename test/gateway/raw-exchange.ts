/**
 * One HTTP/1.1 exchange over a raw socket: the request goes out as the exact
 * bytes given (no client validates or normalises its method, target, headers
 * or framing), and the first final answer is read back as it is framed
 * (`content-length`, chunked, or until close), interim `100 Continue`
 * answers skipped. A connection that closes before a whole answer, or no
 * answer within `hangMs`, is reported as such, never as a status.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  readonly kind: 'answer';
  readonly status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** From the first byte written to the last byte of the answer read. */
  readonly ms: number;
  /** The answer to `followUp`, sent on the same connection once this answer was whole (and kept it open). */
  readonly next?: RawAnswer | RawFailure | undefined;
}

export interface RawFailure {
  readonly kind: 'closed' | 'hang' | 'error';
  readonly detail: string;
  readonly ms: number;
}

/** The client went away on purpose (`leave`) before a whole answer. */
export interface RawLeft {
  readonly kind: 'left';
  readonly ms: number;
}

export interface RawOptions {
  /** Send FIN right after the request (a client that stops sending). */
  readonly halfClose?: boolean;
  /** The request is a HEAD: its answer has no body whatever its headers say. */
  readonly head?: boolean;
  /** Give up (and report a hang) after this long. */
  readonly hangMs?: number;
  /**
   * Go away without waiting for the whole answer: `send` this many ms after
   * writing the request, `head` as soon as the answer's first bytes arrive
   * (mid-stream for a stream).
   */
  readonly leave?: { readonly at: 'send' | 'head'; readonly afterMs: number };
  /** A second request for the same connection, sent once the first answer is whole unless it says `connection: close`. */
  readonly followUp?: Buffer;
}

export function rawExchange(
  port: number,
  request: Buffer,
  options: RawOptions = {},
): Promise<RawAnswer | RawFailure | RawLeft> {
  const hangMs = options.hangMs ?? 10_000;
  return new Promise((resolve) => {
    let started = 0;
    let received: Buffer = Buffer.alloc(0);
    let settled = false;
    const socket = connect(port, '127.0.0.1');
    const done = (result: RawAnswer | RawFailure | RawLeft) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ kind: 'hang', detail: `no whole answer within ${hangMs} ms`, ms: hangMs }),
      hangMs,
    );
    socket.on('connect', () => {
      started = performance.now();
      socket.write(request);
      if (options.halfClose) socket.end();
      if (options.leave?.at === 'send') leaveIn(options.leave.afterMs);
    });
    const leaveIn = (ms: number) =>
      setTimeout(() => done({ kind: 'left', ms: performance.now() - started }), ms);
    // The first answer, once whole, while the follow-up's is awaited.
    let first: Parsed | undefined;
    const answered = (answer: Parsed) => {
      const ms = performance.now() - started;
      if (first) {
        done({
          kind: 'answer',
          ...first,
          ms: firstMs,
          next: { kind: 'answer', ...answer, ms: ms - firstMs },
        });
        return;
      }
      if (!options.followUp || /close/i.test(answer.headers.connection ?? '')) {
        done({ kind: 'answer', ...answer, ms });
        return;
      }
      first = answer;
      firstMs = ms;
      received = received.subarray(answer.length);
      socket.write(options.followUp);
      const next = parseAnswer(received, false, false);
      if (next) answered(next);
    };
    let firstMs = 0;
    socket.on('data', (chunk: Buffer) => {
      if (options.leave?.at === 'head' && received.length === 0 && !first) leaveIn(options.leave.afterMs);
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const answer = parseAnswer(received, options.head === true && !first, false);
      if (answer) answered(answer);
    });
    socket.on('end', () => {
      const answer = parseAnswer(received, options.head === true && !first, true);
      if (answer) {
        answered(answer);
        return;
      }
      const closed: RawFailure = {
        kind: 'closed',
        detail: `connection closed after ${received.length} bytes without a whole answer: ${JSON.stringify(received.subarray(0, 200).toString('latin1'))}`,
        ms: performance.now() - started,
      };
      done(first ? { kind: 'answer', ...first, ms: firstMs, next: closed } : closed);
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done({
        kind: 'error',
        detail: `${error.code ?? ''} ${error.message}`,
        ms: performance.now() - started,
      }),
    );
  });
}

type Parsed = Omit<RawAnswer, 'kind' | 'ms' | 'next'> & {
  /** Bytes of `bytes` the answer took (interim answers included). */
  readonly length: number;
};

/** The first final answer in `bytes` once it is all there (`ended`: the peer closed), else undefined. */
function parseAnswer(bytes: Buffer, head: boolean, ended: boolean): Parsed | undefined {
  let at = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) return undefined;
    const lines = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
    // Not HTTP at all: reported as a close without an answer.
    if (!Number.isInteger(status)) return undefined;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const rest = bytes.subarray(end + 4);
    if (status < 200) {
      at = end + 4; // 100 Continue: the final answer follows
      continue;
    }
    let framed: { body: Buffer; size: number } | undefined;
    if (head || status === 204 || status === 304) framed = { body: Buffer.alloc(0), size: 0 };
    else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) framed = dechunk(rest);
    else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      framed = rest.length >= n ? { body: rest.subarray(0, n), size: n } : undefined;
    } else if (ended) framed = { body: rest, size: rest.length }; // no framing: the body runs until the server closes
    return framed && { status, headers, body: framed.body, length: end + 4 + framed.size };
  }
}

/** A whole chunked body (up to its last chunk and the empty line after it) and the bytes it took, or undefined. */
function dechunk(rest: Buffer): { body: Buffer; size: number } | undefined {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n', i);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(rest.subarray(i, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    const dataAt = lineEnd + 2;
    if (size === 0) {
      const last = rest.indexOf('\r\n', dataAt);
      return last < 0 ? undefined : { body: Buffer.concat(parts), size: last + 2 };
    }
    if (rest.length < dataAt + size + 2) return undefined;
    parts.push(rest.subarray(dataAt, dataAt + size));
    i = dataAt + size + 2;
  }
}

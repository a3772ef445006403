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
    socket.on('data', (chunk: Buffer) => {
      if (options.leave?.at === 'head' && received.length === 0) leaveIn(options.leave.afterMs);
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const answer = parseAnswer(received, options.head === true, false);
      if (answer) done({ kind: 'answer', ...answer, ms: performance.now() - started });
    });
    socket.on('end', () => {
      const answer = parseAnswer(received, options.head === true, true);
      if (answer) done({ kind: 'answer', ...answer, ms: performance.now() - started });
      else
        done({
          kind: 'closed',
          detail: `connection closed after ${received.length} bytes without a whole answer: ${JSON.stringify(received.subarray(0, 200).toString('latin1'))}`,
          ms: performance.now() - started,
        });
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

type Parsed = Omit<RawAnswer, 'kind' | 'ms'>;

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
    let body: Buffer | undefined;
    if (head || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(rest);
    else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = rest.length >= n ? rest.subarray(0, n) : undefined;
    } else if (ended) body = rest; // no framing: the body runs until the server closes
    return body === undefined ? undefined : { status, headers, body };
  }
}

/** A whole chunked body (up to its last chunk and the empty line after it), or undefined. */
function dechunk(rest: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n', i);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(rest.subarray(i, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    const dataAt = lineEnd + 2;
    if (size === 0) return rest.indexOf('\r\n', dataAt) < 0 ? undefined : Buffer.concat(parts);
    if (rest.length < dataAt + size + 2) return undefined;
    parts.push(rest.subarray(dataAt, dataAt + size));
    i = dataAt + size + 2;
  }
}

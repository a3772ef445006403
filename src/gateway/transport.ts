/**
 * The gateway's way upstream: one undici `Pool` of keep-alive connections
 * per origin, driven through `dispatch` with a handler object instead of
 * `fetch` or `request()`. MEASURED.md: global fetch costs ~4× a plain HTTP
 * request per call; `request()` would still wrap every body in a Readable
 * stream. Here body chunks go from undici's parser straight to the client's
 * socket (`BodySink`), with backpressure by pausing the upstream parser.
 *
 * Timeouts: connect, headers (a non-streamed completion only sends its
 * headers when it is done, so this one is long) and body (longest silence
 * between two chunks) are the pool's; a hung upstream becomes a network
 * error the governor handles like any other.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import type { UpstreamReply } from '../runtime/exchange/call.js';
import type { UpstreamTarget } from '../runtime/upstream-target.js';

export interface UpstreamPoolOptions {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Connections per origin. */
  connections: number;
  keepAliveTimeoutMs: number;
}

/** Where a reply's body goes once the proxy takes it. */
export interface BodySink {
  /** Returns false to pause the upstream until `UpstreamCall.resume()`. */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  onError(error: Error): void;
}

export class UpstreamAbortedError extends Error {
  readonly code = 'upstream_aborted';
  constructor(message = 'the caller went away') {
    super(message);
    this.name = 'UpstreamAbortedError';
  }
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly options: UpstreamPoolOptions) {}

  /** Starts one attempt; the returned call resolves `started` when response headers arrive. */
  send(target: UpstreamTarget): UpstreamCall {
    const url = target.url;
    // `scheme://host[:port]` ends at the first '/' after '//'; no URL object per request.
    const slash = url.indexOf('/', url.indexOf('//') + 2);
    const origin = slash < 0 ? url : url.slice(0, slash);
    const path = slash < 0 ? '/' : url.slice(slash);
    const call = new UpstreamCall();
    if (this.closed) {
      call.onResponseError(undefined, new Error('the gateway is closing'));
      return call;
    }
    this.pool(origin).dispatch(
      {
        path,
        method: target.method as Dispatcher.HttpMethod,
        headers: target.headers,
        body: target.body ?? null,
        // Non-idempotent POSTs must not be replayed on a fresh socket by undici itself.
        idempotent: false,
        blocking: false,
      },
      call,
    );
    return call;
  }

  /** Connections idle or busy per origin (for the state view). */
  stats(): { origin: string; connected: number; running: number; pending: number }[] {
    return [...this.pools].map(([origin, pool]) => ({
      origin,
      connected: pool.stats.connected,
      running: pool.stats.running,
      pending: pool.stats.pending,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
    this.pools.clear();
  }

  /** Hard stop: cuts requests still running. */
  async destroy(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      const o = this.options;
      pool = new Pool(origin, {
        connections: o.connections,
        connectTimeout: o.connectTimeoutMs,
        headersTimeout: o.headersTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
        pipelining: 1,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

/**
 * One attempt upstream: the undici dispatch handler and the governor's
 * `UpstreamReply` in one object (one allocation per attempt). Chunks that
 * arrive before the proxy attaches its sink are held (at most the few the
 * socket delivered in between), then flushed in order.
 */
export class UpstreamCall implements UpstreamReply, Dispatcher.DispatchHandler {
  status = 0;
  rawHeaders: IncomingHttpHeaders = {};
  /** Resolves with this call once headers arrived; rejects on a network failure before that. */
  readonly started: Promise<UpstreamCall>;
  private resolveStart!: (call: UpstreamCall) => void;
  private rejectStart!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private sink: BodySink | undefined;
  private held: Buffer[] | undefined;
  private ended = false;
  private failure: Error | undefined;
  private abortReason: Error | undefined;
  private headersSeen = false;

  constructor() {
    this.started = new Promise<UpstreamCall>((resolve, reject) => {
      this.resolveStart = resolve;
      this.rejectStart = reject;
    });
  }

  get(name: string): string | undefined {
    const value = this.rawHeaders[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** `HeaderLookup` over the response headers (this object itself). */
  get headers(): { get(name: string): string | undefined } {
    return this;
  }

  /** Stops the attempt (caller gone, drain deadline); the sink gets `onError`. */
  abort(reason: Error = new UpstreamAbortedError()): void {
    if (this.ended || this.failure) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  /** Sends the body (held chunks first) to `sink`. */
  pipeTo(sink: BodySink): void {
    this.sink = sink;
    const held = this.held;
    this.held = undefined;
    if (held) {
      for (const chunk of held) {
        if (!sink.onData(chunk)) this.controller?.pause();
      }
    }
    if (this.failure) sink.onError(this.failure);
    else if (this.ended) sink.onEnd();
  }

  /** Resumes reading after the sink returned false (the client drained). */
  resume(): void {
    this.controller?.resume();
  }

  text(maxBytes: number): Promise<string> {
    return new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      let size = 0;
      this.pipeTo({
        onData: (chunk) => {
          if (size < maxBytes) parts.push(chunk);
          size += chunk.length;
          return true;
        },
        onEnd: () => resolve(Buffer.concat(parts).toString('utf8').slice(0, maxBytes)),
        onError: () => resolve(Buffer.concat(parts).toString('utf8').slice(0, maxBytes)),
      });
    });
  }

  discard(): void {
    // Reading a small body to its end keeps the keep-alive connection; dropping it would cost a reconnect.
    this.pipeTo(DISCARD);
  }

  // --- undici handler ---

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx informational responses come first and are not the answer.
    if (statusCode < 200) return;
    this.controller = controller;
    this.status = statusCode;
    this.rawHeaders = headers;
    this.headersSeen = true;
    this.resolveStart(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const sink = this.sink;
    if (sink) {
      if (!sink.onData(chunk)) controller.pause();
      return;
    }
    if (this.held) this.held.push(chunk);
    else this.held = [chunk];
  }

  onResponseEnd(): void {
    this.ended = true;
    this.sink?.onEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = this.abortReason ?? error;
    if (!this.headersSeen) this.rejectStart(this.failure);
    else this.sink?.onError(this.failure);
  }
}

const DISCARD: BodySink = Object.freeze({
  onData: () => true,
  onEnd: () => undefined,
  onError: () => undefined,
});

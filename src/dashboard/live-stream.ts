/**
 * `GET /admin/v1/stream`: Server-Sent Events, one `snapshot` event per
 * second to every open page. The gateway's state is read once per tick for
 * all subscribers; each gets the whole series in its first event and only
 * the points completed since in the next ones. A comment line every 15 s
 * keeps idle proxies from closing the connection; a page that stops reading
 * (its buffer grows past a bound) is dropped rather than buffered without
 * end. On drain every stream gets a `bye` event and is ended, so a page
 * learns the gateway is going away instead of seeing a cut connection; a
 * stream opened with an admin key that a reload replaced gets one too.
 */
import type { ServerResponse } from 'node:http';
import type { DashboardSnapshot } from './wire.js';

/** Finishes one subscriber's event from the state read for this tick. */
export type SnapshotFor = (seriesFrom: number | undefined) => { snapshot: DashboardSnapshot; next: number };

export interface LiveStreamOptions {
  /** Reads the gateway once per tick; the result finishes each subscriber's event. */
  read: () => Promise<SnapshotFor>;
  onError: (error: unknown) => void;
  heartbeatMs?: number;
  /** Unsent bytes beyond which a subscriber is dropped. */
  maxBufferedBytes?: number;
}

interface Subscriber {
  readonly res: ServerResponse;
  /** False once the key this stream was opened with no longer opens the admin API. */
  readonly authorized: () => boolean;
  /** First series slot not sent yet; undefined before the first event. */
  next: number | undefined;
}

export class LiveStream {
  private readonly subscribers = new Set<Subscriber>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxBuffered: number;
  private busy = false;
  private closed = false;

  constructor(private readonly options: LiveStreamOptions) {
    this.maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.heartbeat = setInterval(() => {
      for (const s of this.subscribers) this.write(s, ': keep-alive\n\n');
    }, options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Starts an event stream on `res` and sends its first event at once. */
  subscribe(res: ServerResponse, authorized: () => boolean): void {
    res.writeHead(200, [
      'content-type',
      'text/event-stream; charset=utf-8',
      'cache-control',
      'no-store',
      'x-content-type-options',
      'nosniff',
      // Reverse proxies (nginx) would otherwise hold events back.
      'x-accel-buffering',
      'no',
    ]);
    res.write('retry: 2000\n\n');
    const subscriber: Subscriber = { res, authorized, next: undefined };
    this.subscribers.add(subscriber);
    res.once('close', () => this.subscribers.delete(subscriber));
    this.send([subscriber]);
  }

  /** One tick: a snapshot to every subscriber (skipped while the previous one is still being read). */
  broadcast(): void {
    if (this.subscribers.size > 0) this.send([...this.subscribers]);
  }

  /** Says goodbye to every page and ends the streams. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const s of this.subscribers) this.end(s, reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private send(targets: Subscriber[]): void {
    if (this.busy || this.closed) return;
    this.busy = true;
    this.options
      .read()
      .then((finish) => {
        for (const s of targets) {
          if (!this.subscribers.has(s)) continue;
          if (!s.authorized()) {
            this.end(s, 'admin_key_changed');
            continue;
          }
          const { snapshot, next } = finish(s.next);
          s.next = next;
          this.write(s, `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
        }
      })
      .catch(this.options.onError)
      .finally(() => {
        this.busy = false;
      });
  }

  private end(s: Subscriber, reason: string): void {
    this.subscribers.delete(s);
    if (!s.res.destroyed) s.res.end(`event: bye\ndata: ${JSON.stringify({ reason })}\n\n`);
  }

  private write(s: Subscriber, text: string): void {
    if (s.res.destroyed || s.res.writableEnded) {
      this.subscribers.delete(s);
      return;
    }
    if (s.res.writableLength > this.maxBuffered) {
      this.subscribers.delete(s);
      s.res.destroy();
      return;
    }
    s.res.write(text);
  }
}

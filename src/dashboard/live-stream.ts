/**
 * `GET /admin/v1/stream`: Server-Sent Events, one `snapshot` event per
 * second to every open page. The gateway's state is read once per tick for
 * all subscribers; each gets the whole series in its first event and only
 * the points completed since in the next ones. A comment line every 15 s
 * keeps idle proxies from closing the connection; a page that stops reading
 * (its buffer grows past a bound) is dropped rather than buffered without
 * end. On drain every stream gets a `bye` event and is ended, so a page
 * learns the gateway is going away instead of seeing a cut connection.
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
  subscribe(res: ServerResponse): void {
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
    const subscriber: Subscriber = { res, next: undefined };
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
    const bye = `event: bye\ndata: ${JSON.stringify({ reason })}\n\n`;
    for (const s of this.subscribers) {
      if (!s.res.destroyed) s.res.end(bye);
    }
    this.subscribers.clear();
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

/**
 * The page's live connection: `GET /admin/v1/stream` read with `fetch` (so
 * the admin key travels in a header, which `EventSource` cannot send, and a
 * key in the URL would end up in logs), parsed as Server-Sent Events by
 * `eventsource-parser`, and reopened after a pause when it ends — the
 * gateway restarting, a proxy timing out, a laptop waking up. A refused key
 * stops it for good.
 */
import { createParser } from 'eventsource-parser';

/** One Server-Sent Event, named as `EventSource` names it (`message` when the stream gave no `event:`). */
export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface EventStreamHandlers {
  onEvent(event: StreamEvent): void;
  onState(state: ConnectionState, detail?: string): void;
  /** The key was refused (401) or the admin API is off (403). */
  onRefused(status: number, message: string): void;
}

const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000];

export class EventStreamClient {
  private controller: AbortController | undefined;
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly handlers: EventStreamHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.controller?.abort();
  }

  private async open(): Promise<void> {
    this.controller = new AbortController();
    this.handlers.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let endedBy = 'the connection closed';
    // The reconnection delay the server asked for (`retry:`), if any.
    let retryMs = 0;
    const parser = createParser({
      onEvent: (message) => {
        const event: StreamEvent = { event: message.event ?? 'message', data: message.data };
        if (event.event === 'bye') endedBy = 'the gateway is shutting down';
        else if (event.event === 'snapshot') {
          this.attempt = 0;
          this.handlers.onState('live');
        }
        this.handlers.onEvent(event);
      },
      onRetry: (ms) => {
        retryMs = ms;
      },
    });
    try {
      // Built apart from the call: `cache` is a browser option that Node's `RequestInit` type (the
      // tests type-check this file against it) does not list.
      const init = {
        headers: { authorization: `Bearer ${this.key}`, accept: 'text/event-stream' },
        cache: 'no-store' as const,
        signal: this.controller.signal,
      };
      const res = await fetch(this.url, init);
      if (res.status === 401 || res.status === 403) {
        this.stopped = true;
        this.handlers.onRefused(res.status, await errorMessage(res));
        return;
      }
      if (!res.ok || !res.body) throw new Error(`the gateway answered ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (error) {
      if (this.stopped) return;
      endedBy = error instanceof Error ? error.message : String(error);
    }
    if (this.stopped) return;
    const wait = Math.max(retryMs, BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] as number);
    this.attempt++;
    this.handlers.onState('reconnecting', `${endedBy}; retrying in ${Math.round(wait / 1000)} s`);
    this.timer = setTimeout(() => void this.open(), wait);
  }
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // Not JSON: the status says enough.
  }
  return `The gateway answered ${res.status}.`;
}

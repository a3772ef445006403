/**
 * What every stream reader shares: bytes split anywhere are framed into
 * events by the usage taps' `createStreamFrame` (SSE, or a streamed JSON
 * array), each event is handed to the family's `read`, and the first
 * failure ends the reading. An event that is not the JSON its family sends
 * is a failure, never an exception: the caller's stream ends with its own
 * error event instead.
 */
import { createStreamFrame, type StreamFrame } from '../../stream/stream-frame.js';
import type { NeutralStreamEvent, StreamReader, StreamSink } from './events.js';
import { BAD_GATEWAY } from './stream-errors.js';

const IGNORE: StreamSink = () => {};

export abstract class FramedReader implements StreamReader {
  readonly #frame: StreamFrame = createStreamFrame((event, data) => this.#deliver(event, data));
  /** The sink of the `push` or `end` under way (the frame calls back synchronously). */
  protected sink: StreamSink = IGNORE;
  /** An error event went out: the stream says nothing more. */
  #failed = false;

  push(chunk: Uint8Array, sink: StreamSink): void {
    if (this.#failed) return;
    this.sink = sink;
    this.#frame.push(chunk);
  }

  end(sink: StreamSink): void {
    if (this.#failed) return;
    this.sink = sink;
    const missing = this.missing();
    if (missing !== undefined) this.fail(BAD_GATEWAY, `the upstream stream ended ${missing}`);
  }

  /** Reads one event's data (`event` is the SSE event name; undefined for a JSON array's element). */
  protected abstract read(event: string | undefined, data: string): void;

  /** What the stream lacks at its end (`before message_stop`), or undefined when it ended whole. */
  protected abstract missing(): string | undefined;

  /** Ends the caller's stream with an error event; what the upstream says after it is ignored. */
  protected fail(status: number, message: string, type?: string): void {
    if (this.#failed) return;
    this.#failed = true;
    const event: NeutralStreamEvent =
      type === undefined ? { kind: 'error', status, message } : { kind: 'error', status, message, type };
    this.sink(event);
  }

  #deliver(event: string | undefined, data: string): void {
    if (this.#failed) return;
    try {
      this.read(event, data);
    } catch {
      this.fail(
        BAD_GATEWAY,
        `the upstream sent ${event === undefined ? 'an event' : `a ${event} event`} that is not the JSON its API sends`,
      );
    }
  }
}

/** One event's JSON object; anything else throws (caught as a failure by `FramedReader`). */
export function parseEvent(data: string): Readonly<Record<string, unknown>> {
  const value: unknown = JSON.parse(data);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('not an object');
  return value as Readonly<Record<string, unknown>>;
}

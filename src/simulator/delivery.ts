/**
 * Writing an admitted call's answer: whole or streamed, on the latency
 * model's schedule, with the response faults (cut connections, broken JSON,
 * dropped usage, wrong content type, mid-stream errors, slow streams).
 *
 * Output tokens are charged to the lease as they are produced (one piece =
 * one token per choice), and the lease is settled exactly once: `finish` when
 * the answer was written whole, `abort` when it was cut or the client left.
 */
import type { ServerResponse } from 'node:http';
import type { Cancel, Clock } from '../core/clock.js';
import type { Answer } from './content.js';
import type { Fault } from './faults.js';
import type { Call, CallIds, Headers, Reply, UsageReport } from './flavour.js';
import { sendReply } from './http-io.js';
import type { Timing } from './latency.js';
import type { Lease } from './limits/scope.js';

export interface Delivery {
  readonly res: ServerResponse;
  readonly call: Call;
  readonly ids: CallIds;
  readonly answer: Answer;
  /** Fresh per call; completed in place. */
  readonly headers: Headers;
  readonly timing: Timing;
  readonly lease: Lease | undefined;
  /** A response fault (early faults never reach delivery). */
  readonly fault: Fault | undefined;
  readonly clock: Clock;
  /** A 500 in the flavour's format, for `error_mid_stream` on a non-streamed call. */
  readonly serverError: () => Reply;
  /** Called once when the call is over, however it ended; `completed` when written whole. */
  readonly done: (completed: boolean, outputTokens: number) => void;
  /** Answers the simulator's own failure (a 500, or a cut if the answer had started). */
  readonly fail: (error: unknown) => void;
}

const TEXT_PLAIN = 'text/plain; charset=utf-8';

export function deliver(d: Delivery): void {
  let over = false;
  let cancel: Cancel | undefined;
  let produced = 0;
  const end = (completed: boolean) => {
    if (over) return;
    over = true;
    cancel?.();
    if (completed) d.lease?.finish({ input: d.call.cost?.input ?? 0, output: produced }, d.clock.now());
    else d.lease?.abort();
    d.done(completed, produced);
  };
  // The client may leave while the answer is pending: free the slot, keep what was charged.
  const pending = d.call.stream || d.timing.ttftMs > 0 || d.timing.perTokenMs > 0;
  if (pending) d.res.once('close', () => end(false));
  const produce = (tokens: number) => {
    produced += tokens;
    d.lease?.produce(tokens, d.clock.now());
  };
  // Rendering runs later, from a timer: a throw there would end the process, so it ends the call instead.
  const guarded = (fn: () => void) => () => {
    try {
      fn();
    } catch (error) {
      end(false);
      d.fail(error);
    }
  };
  const context = {
    d,
    produce,
    end,
    schedule: (ms: number, fn: () => void) => {
      cancel = d.clock.schedule(ms, guarded(fn));
    },
  };
  guarded(() => (d.call.stream && d.call.render.stream ? deliverStream(context) : deliverWhole(context)))();
}

interface Context {
  readonly d: Delivery;
  produce(tokens: number): void;
  end(completed: boolean): void;
  schedule(ms: number, fn: () => void): void;
}

function usageOf(d: Delivery, output: number): UsageReport | undefined {
  return d.fault?.kind === 'missing_usage' ? undefined : { input: d.call.input, output };
}

function deliverWhole({ d, produce, end, schedule }: Context): void {
  const tokens = d.answer.pieces.length * d.call.choices;
  const write = () => {
    produce(tokens);
    const kind = d.fault?.kind;
    if (kind === 'error_mid_stream') {
      end(false);
      sendReply(d.res, d.serverError());
      return;
    }
    let body = d.call.render.body(d.answer, usageOf(d, tokens), d.ids);
    const headers = d.headers;
    if (kind === 'wrong_content_type') headers['content-type'] = TEXT_PLAIN;
    if (kind === 'malformed_json') body = body.slice(0, Math.floor(body.length / 2));
    if (kind === 'reset_mid_stream') {
      // Headers and half the body, then the connection is reset.
      headers['content-length'] = String(Buffer.byteLength(body));
      d.res.writeHead(200, headers);
      end(false);
      cut(d, body.slice(0, Math.floor(body.length / 2)));
      return;
    }
    end(true);
    sendReply(d.res, { status: 200, headers, body });
  };
  const delay = d.timing.ttftMs + d.answer.pieces.length * d.timing.perTokenMs;
  if (delay > 0) schedule(delay, write);
  else write();
}

function deliverStream({ d, produce, end, schedule }: Context): void {
  const frames = d.call.render.stream?.(d.ids, d.answer);
  if (!frames) return;
  const kind = d.fault?.kind;
  const pieces = d.answer.pieces;
  const choices = d.call.choices;
  const cutAt = d.fault?.spec.after_tokens ?? Math.floor(pieces.length / 2);
  const contentType = kind === 'wrong_content_type' ? TEXT_PLAIN : frames.contentType;
  d.headers['content-type'] = contentType;
  d.headers['cache-control'] = 'no-cache';
  d.res.writeHead(200, d.headers);
  let out = frames.start(usageOf(d, 0));
  let i = 0;
  const step = () => {
    while (i < pieces.length) {
      if (i === cutAt && kind === 'reset_mid_stream') {
        end(false);
        cut(d, out);
        return;
      }
      if (i === cutAt && kind === 'error_mid_stream') {
        end(false);
        d.res.end(out + frames.error());
        return;
      }
      const piece = pieces[i] as string;
      for (let c = 0; c < choices; c++) {
        out += i === cutAt && kind === 'malformed_json' ? frames.corrupt(piece, c) : frames.piece(piece, c);
      }
      produce(choices);
      i++;
      if (d.timing.perTokenMs > 0 && i < pieces.length) {
        d.res.write(out);
        out = '';
        schedule(d.timing.perTokenMs, step);
        return;
      }
    }
    // Cuts placed at the very end (after_tokens ≥ the answer) still happen, before the closing frames.
    if (kind === 'reset_mid_stream') {
      end(false);
      cut(d, out);
      return;
    }
    if (kind === 'error_mid_stream') {
      end(false);
      d.res.end(out + frames.error());
      return;
    }
    out += frames.end(d.answer, usageOf(d, i * choices));
    end(true);
    d.res.end(out);
  };
  if (d.timing.ttftMs > 0) {
    d.res.write(out);
    out = '';
    schedule(d.timing.ttftMs, step);
  } else step();
}

/** Sends what was produced so far, then resets the connection once it is on the wire. */
function cut(d: Delivery, text: string): void {
  d.res.write(text, () => d.res.destroy());
}

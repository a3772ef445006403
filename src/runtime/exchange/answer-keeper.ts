/**
 * Keeps the answer an upstream body carried, for the response cache: the
 * upstream's own bytes (before any translation or stripping) read by the
 * upstream API's reader — a stream event by event into an `AnswerAssembler`,
 * a whole body parsed once at its end. Only a complete answer is kept: a
 * stream that errored, was cut or never stopped, a body that does not read
 * as one answer, or one larger than the cache takes, is dropped.
 */
import type { ChatApiTable } from '../../providers/translate/chat-apis.js';
import type { NeutralAnswer } from '../../providers/translate/neutral.js';
import { AnswerAssembler } from '../../providers/translate/stream/answer-events.js';
import type { StreamReader } from '../../providers/translate/stream/events.js';
import { STREAM_FORMATS, type StreamFormat } from '../../providers/translate/stream/stream-translation.js';

/** Where a kept answer goes. */
export interface AnswerCapture {
  /** Bodies larger than this are not kept. */
  readonly maxBytes: number;
  /** Called once with the complete answer. */
  keep(answer: NeutralAnswer): void;
  /** Called once when there is nothing to keep. */
  drop(): void;
}

const DECODER = new TextDecoder();

export class AnswerKeeper {
  private readonly reader: StreamReader | undefined;
  private readonly assembler: AnswerAssembler | undefined;
  private parts: Uint8Array[] | undefined;
  private size = 0;
  private done = false;

  constructor(
    private readonly capture: AnswerCapture,
    /** How the upstream's body reads: its chat API (a whole body), its framing (a stream). */
    private readonly upstream: { readonly api: ChatApiTable; readonly streamFormat: StreamFormat },
    streamed: boolean,
  ) {
    if (streamed) {
      this.reader = STREAM_FORMATS[upstream.streamFormat].reader();
      this.assembler = new AnswerAssembler();
    } else this.parts = [];
  }

  push(chunk: Uint8Array): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > this.capture.maxBytes) {
      this.drop();
      return;
    }
    if (this.reader && this.assembler) this.reader.push(chunk, this.assembler.sink);
    else this.parts?.push(chunk);
  }

  /** The body ended in full: keeps its answer when it is a complete one. */
  end(): void {
    if (this.done) return;
    let answer: NeutralAnswer | undefined;
    if (this.reader && this.assembler) {
      this.reader.end(this.assembler.sink);
      answer = this.assembler.answer();
    } else if (this.parts) {
      const read = this.upstream.api.readAnswer(parse(this.parts));
      answer = read.ok ? read.value : undefined;
    }
    this.done = true;
    this.parts = undefined;
    if (answer) this.capture.keep(answer);
    else this.capture.drop();
  }

  /** The body was cut or refused: nothing is kept. */
  drop(): void {
    if (this.done) return;
    this.done = true;
    this.parts = undefined;
    this.capture.drop();
  }
}

function parse(parts: readonly Uint8Array[]): unknown {
  try {
    return JSON.parse(parts.length === 1 ? DECODER.decode(parts[0]) : DECODER.decode(Buffer.concat(parts)));
  } catch {
    return undefined;
  }
}

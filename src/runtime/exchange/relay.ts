/**
 * The body of a successful upstream answer on its way to the caller, the
 * same for every face: the face feeds it the upstream's chunks (`push`) and
 * sends on what comes back; the relay taps usage (stream events, or the
 * non-streamed body's `usage`), strips what Sluice added to the stream on
 * the caller's behalf, and settles the reservation exactly once — with the
 * provider's usage when the body ended (`end`), with what is known when it
 * was cut (`fail`).
 *
 * Cut streams keep the estimate on the buckets unless the usage seen
 * already exceeds it (PROVIDERS.md §1.8: "If the stream is aborted, keep the
 * pre-charged estimate"), but observers are told what was delivered: the
 * usage seen and the output counted from the chunks relayed.
 */
import type { Cost, Usage } from '../../core/cost.js';
import type {
  Endpoint,
  ProviderError,
  ProviderUsage,
  StreamRewriter,
  UsageTap,
} from '../../providers/adapter.js';
import { bodyForUsage } from '../../providers/parse/usage-body.js';
import { servedTierFromHeaders } from '../../providers/service-tier.js';
import { chatApiOfEndpoint } from '../../providers/translate/chat-apis.js';
import {
  createStreamTranslation,
  type StreamTranslation,
} from '../../providers/translate/stream/stream-translation.js';
import type { Deployment } from '../deployment.js';
import { type AnswerCapture, AnswerKeeper } from './answer-keeper.js';
import type { SuccessOutcome, UpstreamReply } from './call.js';
import type { Settlement } from './settlement.js';

/** Non-streamed bodies bigger than this are relayed without reading their usage (the estimate stands). */
export const MAX_USAGE_BODY = 8 * 1024 * 1024;

const NOTHING = new Uint8Array(0);

/** Hears what a relay sends its caller: each chunk, then `end` (complete) or `drop` (cut), once. */
export interface OutputRecorder {
  push(bytes: Uint8Array): void;
  end(): void;
  drop(): void;
}

export class Relay {
  readonly deployment: Deployment;
  /** Whether the body is a stream (SSE, or Gemini's streamed JSON). */
  readonly streamed: boolean;
  private readonly settlement: Settlement;
  private readonly reply: UpstreamReply;
  private readonly tap: UsageTap | undefined;
  private readonly rewriter: StreamRewriter | undefined;
  /** A stream from a deployment of another API family, written again in the caller's. */
  private readonly translation: StreamTranslation | undefined;
  private collected: Uint8Array[] | undefined;
  private collectedSize = 0;
  private settledUsage: Usage | undefined;
  private started = false;
  /** The tier the answer's headers say served it (Gemini); a tier in the body wins. */
  private readonly headerTier: string | undefined;
  private readonly endpoint: Endpoint;

  /** Keeps the answer for the response cache (undefined: not cached). */
  private readonly keeper: AnswerKeeper | undefined;
  /** Hears the bytes the caller is sent (an idempotent call keeps them to replay). */
  private recorder: OutputRecorder | undefined;

  constructor(outcome: SuccessOutcome<UpstreamReply>, streamed: boolean, capture?: AnswerCapture) {
    this.keeper = capture ? keeperOf(outcome, capture, streamed) : undefined;
    this.deployment = outcome.target.deployment;
    this.settlement = outcome.settlement;
    this.reply = outcome.reply;
    this.streamed = streamed;
    this.headerTier = servedTierFromHeaders(this.deployment.config.provider, outcome.reply.headers);
    const adapter = this.deployment.adapter;
    // The upstream's endpoint, not the caller's: a call translated for another API is read as that API answers.
    this.endpoint = outcome.target.endpoint;
    const crossing = outcome.target.crossing;
    if (streamed) {
      this.tap = adapter.createUsageTap(this.endpoint);
      if (crossing) {
        this.translation = createStreamTranslation(crossing.upstreamStream, crossing.callerStream, {
          streamUsage: crossing.streamUsage,
          createdSeconds: crossing.createdSeconds,
        });
      } else if (outcome.target.addedStreamUsage) this.rewriter = adapter.stripAddedStreamUsage?.();
    } else if (this.endpoint !== 'count_tokens' && this.endpoint !== 'models') {
      // A count or a model list holds no tokens: nothing to read back.
      this.collected = [];
    }
  }

  /** From now on, `recorder` hears every byte the caller is sent, and how the body ended. */
  record(recorder: OutputRecorder): void {
    this.recorder = recorder;
  }

  /** The bytes to send on for one upstream chunk (the chunk itself unless something is stripped). */
  push(chunk: Uint8Array): Uint8Array {
    const out = this.pass(chunk);
    this.recorder?.push(out);
    return out;
  }

  private pass(chunk: Uint8Array): Uint8Array {
    if (!this.started) {
      this.started = true;
      this.settlement.firstChunk();
    }
    this.keeper?.push(chunk);
    const tap = this.tap;
    if (tap) {
      tap.push(chunk);
      if (this.translation) return this.translation.push(chunk);
      return this.rewriter ? this.rewriter.push(chunk) : chunk;
    }
    const collected = this.collected;
    if (collected) {
      this.collectedSize += chunk.length;
      if (this.collectedSize <= MAX_USAGE_BODY) collected.push(chunk);
      else this.collected = undefined;
    }
    return chunk;
  }

  /** The upstream body ended: what is left to send, and the reservation is settled with the provider's usage. */
  end(): Uint8Array {
    const rest = this.translation?.end() ?? this.rewriter?.end() ?? NOTHING;
    this.settle(true);
    this.keeper?.end();
    const recorder = this.recorder;
    if (recorder) {
      recorder.push(rest);
      // An error event inside a 200 stream is not an answer worth replaying.
      if (this.tap?.error()) recorder.drop();
      else recorder.end();
    }
    return rest;
  }

  /**
   * A body its caller read whole and parsed itself (a translated answer, an
   * embedding): settled with the usage it reports, without a second parse.
   */
  endParsed(body: unknown): void {
    if (!this.started) {
      this.started = true;
      this.settlement.firstChunk();
    }
    this.collected = undefined;
    this.settle(true, body);
    this.dropKept();
  }

  /**
   * The body was cut (upstream error, the caller left, a drain deadline):
   * settles with what is known. Returns what the caller's stream should
   * still carry: for a translated stream its own API's error event (a
   * native stream is cut as it came).
   */
  fail(reason = 'the upstream stream was cut'): Uint8Array {
    this.settle(false);
    this.dropKept();
    return this.translation?.fail(reason) ?? NOTHING;
  }

  /** Stops the upstream body (the caller left before or while it was relayed) and settles. */
  cancel(): void {
    this.reply.abort();
    this.settle(false);
    this.dropKept();
  }

  /** Neither the response cache nor an idempotent call keeps a body that did not arrive whole. */
  private dropKept(): void {
    this.keeper?.drop();
    this.recorder?.drop();
  }

  /** The usage the reservation was settled with (undefined: not settled yet, or the estimate stood). */
  get usage(): Usage | undefined {
    return this.settledUsage;
  }

  /** An error event inside a 200 stream (Anthropic `overloaded_error`): it reached the caller as sent. */
  streamError(): ProviderError | undefined {
    return this.tap?.error();
  }

  private settle(complete: boolean, parsed?: unknown): void {
    if (this.settlement.settled) return;
    const estimate: Cost = this.settlement.admitted.reservation.cost;
    let usage: ProviderUsage | undefined;
    let delivered: ProviderUsage;
    let reported = false;
    if (this.tap) {
      const tap = this.tap;
      const seen = tap.usage();
      reported = seen !== undefined && tap.complete();
      usage = reported ? seen : usageOfCutStream(seen, estimate);
      delivered = reported && seen ? seen : deliveredOfCutStream(seen, tap.generatedTokens(), estimate);
    } else {
      let body = parsed;
      if (body === undefined && complete && this.collected) {
        const parts = this.collected;
        body = bodyForUsage(parts.length === 1 ? asBuffer(parts[0] as Uint8Array) : Buffer.concat(parts));
      }
      if (body !== undefined) usage = this.deployment.adapter.usageFromBody(this.endpoint, body);
      reported = usage !== undefined;
      // A whole answer was produced upstream even when its count could not be read: the estimate is the best known.
      delivered = usage ?? estimate;
    }
    this.collected = undefined;
    if (usage && this.headerTier && usage.serviceTier === undefined)
      usage = { ...usage, serviceTier: this.headerTier };
    this.settledUsage = usage;
    // A cut stream settles on its estimate, but what it reported of its prompt still teaches the estimates.
    void this.settlement.settle(usage, { delivered, reported, partial: this.tap?.usage() });
  }
}

/** A keeper reading the upstream's answer in the upstream's API (undefined: not a chat answer). */
function keeperOf(
  outcome: SuccessOutcome<UpstreamReply>,
  capture: AnswerCapture,
  streamed: boolean,
): AnswerKeeper | undefined {
  const { target } = outcome;
  const crossing = target.crossing;
  if (crossing)
    return new AnswerKeeper(capture, { api: crossing.to, streamFormat: crossing.upstreamStream }, streamed);
  const api = chatApiOfEndpoint(target.endpoint);
  if (!api) {
    capture.drop();
    return undefined;
  }
  const q = target.url.indexOf('?');
  const streamFormat = api.streamFormat(q < 0 ? '' : target.url.slice(q));
  return new AnswerKeeper(capture, { api, streamFormat }, streamed);
}

/** Buckets of a cut stream keep the estimate unless the usage seen already exceeds it. */
function usageOfCutStream(seen: Usage | undefined, estimate: Cost): Usage | undefined {
  if (!seen) return undefined;
  return seen.inputTokens + seen.outputTokens > estimate.inputTokens + estimate.outputTokens
    ? seen
    : undefined;
}

/**
 * What a stream without the provider's final count delivered: the input the
 * provider reported (else the estimate: the prompt was sent and read), and
 * the larger of the output it reported so far and the output counted from
 * the text the chunks carried.
 */
function deliveredOfCutStream(
  seen: ProviderUsage | undefined,
  generated: number,
  estimate: Cost,
): ProviderUsage {
  const input = seen && seen.inputTokens > 0 ? seen.inputTokens : estimate.inputTokens;
  const output = Math.max(seen?.outputTokens ?? 0, generated);
  return seen
    ? { ...seen, inputTokens: input, outputTokens: output }
    : { inputTokens: input, outputTokens: output };
}

/** The same bytes as a Buffer, without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

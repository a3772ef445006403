/**
 * A test kit for the runtime's middle at its real boundary (STYLE.md, Tests):
 * a neutral `Call` in, a `FakeTransport` with canned statuses, headers and
 * chunks, a `ManualClock`, and a store that records every reserve and settle
 * so each test can assert that every reservation was settled exactly once.
 * No sockets, no sleeps, no real time.
 */
import { expect } from 'vitest';
import { flushAsync, ManualClock } from '../../src/core/clock.js';
import type { Cost, Usage } from '../../src/core/cost.js';
import type {
  BucketSnapshot,
  Decision,
  ProviderObservation,
  Reservation,
  SettleOutcome,
} from '../../src/core/decision.js';
import type { BucketSpec } from '../../src/core/limit.js';
import type { Endpoint } from '../../src/providers/adapter.js';
import type { ApiFamily } from '../../src/providers/api-family.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import type { Answer, AnswerOptions } from '../../src/runtime/exchange/answer.js';
import type { Call, Transport, UpstreamReply } from '../../src/runtime/exchange/call.js';
import { serveCall } from '../../src/runtime/exchange/serve.js';
import type { Forwarding } from '../../src/runtime/forwarding.js';
import { Governor, type GovernorOptions } from '../../src/runtime/governor.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import type { UpstreamTarget } from '../../src/runtime/upstream-target.js';
import { reserveInTurn } from '../../src/stores/first-fit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import type {
  DemandUpdate,
  FirstFit,
  ReserveChoice,
  ReserveOptions,
  SettleOptions,
  Store,
  StoreStats,
} from '../../src/stores/store.js';

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

export function bytes(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/** Bytes as text, multi-byte characters cut between chunks included. */
export function text(chunks: readonly Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
}

// ---------------------------------------------------------------------------
// Calls

export interface CallOptions {
  /** The model group asked for. Default `g`. */
  readonly model?: string;
  readonly tenant?: string;
  readonly stream?: boolean;
  readonly maxTokens?: number;
  readonly maxWaitMs?: number;
  readonly priority?: string;
  readonly signal?: AbortSignal;
  readonly downgrade?: boolean;
  readonly cost?: Cost;
  /** Overrides the endpoint (e.g. `count_tokens`); the path follows it. */
  readonly endpoint?: Endpoint;
  /** Extra body fields. */
  readonly body?: Record<string, unknown>;
  readonly forwardHeaders?: Record<string, string>;
  /** Default `allow-list` (the gateway's); `as-sent` is `governor.fetch`'s. */
  readonly forwarding?: Forwarding;
}

let ids = 0;

/** A `Call` as a face would hand it to the runtime, in the caller's API `family`. */
export function call(family: ApiFamily, options: CallOptions = {}): Call {
  const model = options.model ?? 'g';
  const stream = options.stream ?? false;
  const maxTokens = options.maxTokens ?? 10;
  const messages = [{ role: 'user', content: 'hi' }];
  let endpoint: Endpoint;
  let path: string;
  let body: Record<string, unknown>;
  switch (family) {
    case 'openai':
      endpoint = options.endpoint ?? 'chat_completions';
      path = '/v1/chat/completions';
      body = { model, messages, max_tokens: maxTokens, ...(stream ? { stream: true } : {}) };
      break;
    case 'anthropic':
      endpoint = options.endpoint ?? 'messages';
      path = endpoint === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages';
      body =
        endpoint === 'count_tokens'
          ? { model, messages }
          : { model, messages, max_tokens: maxTokens, ...(stream ? { stream: true } : {}) };
      break;
    case 'gemini':
      endpoint = options.endpoint ?? (stream ? 'stream_generate_content' : 'generate_content');
      path =
        endpoint === 'stream_generate_content'
          ? `/v1beta/models/${model}:streamGenerateContent?alt=sse`
          : `/v1beta/models/${model}:generateContent`;
      body = {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        generationConfig: { maxOutputTokens: maxTokens },
      };
      break;
  }
  body = { ...body, ...options.body };
  ids++;
  return {
    id: `req-${ids}`,
    family,
    endpoint,
    method: 'POST',
    path,
    body,
    rawBody: JSON.stringify(body),
    stream: stream || endpoint === 'stream_generate_content',
    model,
    tenant: options.tenant ?? 'default',
    forwardHeaders: options.forwardHeaders ?? {},
    forwarding: options.forwarding ?? 'allow-list',
    priority: options.priority,
    maxWaitMs: options.maxWaitMs,
    signal: options.signal,
    downgrade: options.downgrade,
    cost: options.cost,
  };
}

// ---------------------------------------------------------------------------
// Transport

/** One canned upstream answer. */
export interface ScriptedReply {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** The body: a string as is, anything else as JSON. Ignored when `chunks` is given. */
  readonly body?: unknown;
  /** The body in the chunks it arrives in (streams). */
  readonly chunks?: readonly (string | Uint8Array)[];
}

/** A transport failure: the attempt got no HTTP answer. */
export interface ScriptedThrow {
  readonly throws: Error;
}

export type Step = ScriptedReply | ScriptedThrow;

/** What the transport was asked to send. */
export interface Sent {
  readonly deployment: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  /** The clock's time when it was sent. */
  readonly at: number;
  readonly target: UpstreamTarget;
}

export class FakeReply implements UpstreamReply {
  readonly status: number;
  readonly headers: Headers;
  readonly chunks: readonly Uint8Array[];
  discarded = false;
  aborted = false;

  constructor(step: ScriptedReply) {
    this.status = step.status ?? 200;
    this.headers = new Headers(step.headers);
    const body =
      step.body === undefined ? '' : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    this.chunks = (step.chunks ?? (body ? [body] : [])).map((c) => (typeof c === 'string' ? bytes(c) : c));
  }

  async text(maxBytes: number): Promise<string> {
    return text(this.chunks).slice(0, maxBytes);
  }

  discard(): void {
    this.discarded = true;
  }

  abort(): void {
    this.aborted = true;
  }
}

/** A send the test answers later (`release`), or that fails when the caller's signal aborts. */
export class HeldSend {
  sent = false;
  private settle: ((step: Step) => void) | undefined;
  private early: Step | undefined;

  /** Answers the held attempt with `step`. */
  release(step: Step = { status: 200 }): void {
    if (this.settle) this.settle(step);
    else this.early = step;
  }

  /** @internal */
  wait(): Promise<Step> {
    this.sent = true;
    if (this.early) return Promise.resolve(this.early);
    return new Promise((resolve) => {
      this.settle = resolve;
    });
  }
}

/**
 * Replies scripted per deployment, in order. A send with nothing scripted
 * fails the test (`expectDone`). Honours the caller's signal the way fetch
 * does: an aborted send rejects with the signal's reason.
 */
export class FakeTransport implements Transport<FakeReply> {
  readonly sent: Sent[] = [];
  readonly replies: FakeReply[] = [];
  /** Sends that found nothing scripted for their deployment. */
  readonly unscripted: string[] = [];
  private readonly scripts = new Map<string, (Step | HeldSend)[]>();
  private fallback: ((sent: Sent, index: number) => Step) | undefined;

  constructor(private readonly clock: { now(): number }) {}

  /** Answers sends that find nothing scripted (load tests): `index` counts every send. */
  otherwise(respond: (sent: Sent, index: number) => Step): this {
    this.fallback = respond;
    return this;
  }

  /** Queues replies for `deployment`, answered in order. */
  script(deployment: string, ...steps: Step[]): this {
    this.queue(deployment).push(...steps);
    return this;
  }

  /** Queues a send that stays pending until the test releases it. */
  hold(deployment: string): HeldSend {
    const held = new HeldSend();
    this.queue(deployment).push(held);
    return held;
  }

  /** Sends made to `deployment`. */
  to(deployment: string): Sent[] {
    return this.sent.filter((s) => s.deployment === deployment);
  }

  /** Every scripted step was used and nothing unscripted was sent. */
  expectDone(): void {
    expect(this.unscripted).toEqual([]);
    const left = [...this.scripts].filter(([, steps]) => steps.length > 0).map(([d]) => d);
    expect(left, 'deployments with replies left unsent').toEqual([]);
  }

  async send(target: UpstreamTarget, signal: AbortSignal | undefined): Promise<FakeReply> {
    const deployment = target.deployment.id;
    const sent: Sent = {
      deployment,
      method: target.method,
      url: target.url,
      headers: { ...target.headers },
      body:
        target.body === undefined || typeof target.body === 'string'
          ? target.body
          : DECODER.decode(target.body),
      at: this.clock.now(),
      target,
    };
    this.sent.push(sent);
    if (signal?.aborted) throw signal.reason;
    const next = this.queue(deployment).shift() ?? this.fallback?.(sent, this.sent.length - 1);
    if (next === undefined) {
      this.unscripted.push(deployment);
      throw new Error(`FakeTransport: nothing scripted for deployment ${deployment}`);
    }
    const step = next instanceof HeldSend ? await heldUnlessAborted(next, signal) : next;
    if ('throws' in step) throw step.throws;
    const reply = new FakeReply(step);
    this.replies.push(reply);
    return reply;
  }

  private queue(deployment: string): (Step | HeldSend)[] {
    let steps = this.scripts.get(deployment);
    if (!steps) {
      steps = [];
      this.scripts.set(deployment, steps);
    }
    return steps;
  }
}

function heldUnlessAborted(held: HeldSend, signal: AbortSignal | undefined): Promise<Step> {
  const answered = held.wait();
  if (!signal) return answered;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void answered.then((step) => {
      signal.removeEventListener('abort', onAbort);
      resolve(step);
    });
  });
}

// ---------------------------------------------------------------------------
// Store

export interface SettleRecord {
  readonly reservation: Reservation;
  readonly usage: Usage | undefined;
  readonly options?: SettleOptions | undefined;
}

/** A store that records what the runtime asked of it, around a real `MemoryStore`. */
export class CountingStore implements Store {
  readonly reservations: Reservation[] = [];
  readonly refusals: Decision[] = [];
  readonly settles: SettleRecord[] = [];
  readonly syncs: { bucket: BucketSpec; observation: ProviderObservation }[] = [];
  readonly pauses: { bucket: BucketSpec; untilMs: number }[] = [];
  readonly renewals: Reservation[] = [];

  constructor(readonly inner: Store) {}

  get clustered(): boolean {
    return this.inner.clustered;
  }

  publishDemand(update: DemandUpdate): Promise<void> {
    return this.inner.publishDemand(update);
  }

  async reserve(buckets: readonly BucketSpec[], cost: Cost, options?: ReserveOptions): Promise<Decision> {
    const decision = await this.inner.reserve(buckets, cost, options);
    if (decision.reservation) this.reservations.push(decision.reservation);
    else this.refusals.push(decision);
    return decision;
  }

  reserveFirst(choices: readonly ReserveChoice[], options?: ReserveOptions): Promise<FirstFit> {
    return reserveInTurn(this, choices, options);
  }

  settle(reservation: Reservation, usage?: Usage, options?: SettleOptions): Promise<SettleOutcome> {
    this.settles.push({ reservation, usage, ...(options && { options }) });
    return this.inner.settle(reservation, usage, options);
  }

  renew(reservation: Reservation, leaseMs?: number): Promise<boolean> {
    this.renewals.push(reservation);
    return this.inner.renew(reservation, leaseMs);
  }

  sync(bucket: BucketSpec, observation: ProviderObservation): Promise<void> {
    this.syncs.push({ bucket, observation });
    return this.inner.sync(bucket, observation);
  }

  pause(bucket: BucketSpec, untilMs: number): Promise<void> {
    this.pauses.push({ bucket, untilMs });
    return this.inner.pause(bucket, untilMs);
  }

  peek(buckets: readonly BucketSpec[]): Promise<BucketSnapshot[]> {
    return this.inner.peek(buckets);
  }

  stats(): Promise<StoreStats> {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The settles of one reservation. */
  settlesOf(reservation: Reservation): SettleRecord[] {
    return this.settles.filter((s) => s.reservation === reservation);
  }

  /**
   * Every reservation granted was settled exactly once, and nothing else was
   * settled. Returns the settles in grant order.
   */
  expectSettledOnce(): SettleRecord[] {
    const counts = this.reservations.map((r) => this.settlesOf(r).length);
    expect(counts, 'settles per reservation').toEqual(this.reservations.map(() => 1));
    expect(this.settles.length, 'settles of reservations never granted').toBe(this.reservations.length);
    return this.reservations.map((r) => this.settlesOf(r)[0] as SettleRecord);
  }
}

// ---------------------------------------------------------------------------
// Governor

export type EventLog = { [K in keyof GovernorEvents]: Parameters<GovernorEvents[K]>[0][] };

export interface Rig {
  readonly clock: ManualClock;
  readonly store: CountingStore;
  readonly governor: Governor;
  readonly transport: FakeTransport;
  readonly events: EventLog;
  /** Runs `c` through the governor with the rig's transport. */
  execute(c: Call): ReturnType<Governor['execute']>;
  /** Runs `c` through `serveCall` (execute + budget + answer). */
  serve(c: Call, options?: Partial<AnswerOptions>): Promise<Answer>;
  /** Lets pending promise jobs run (no time passes). */
  flush(): Promise<void>;
}

const EVENT_NAMES: readonly (keyof GovernorEvents)[] = [
  'admitted',
  'refused',
  'upstream',
  'retry',
  'fallback',
  'settled',
  'billed',
  'retried',
  'observed',
  'clamped',
  'paused',
  'circuit',
  'adaptive',
  'serviceTier',
  'alert',
  'load',
  'mitigation',
  'mitigated',
];

/** One OpenAI deployment per id, named as in a test's topology. */
export function openaiDeployment(id: string, extra: Record<string, unknown> = {}) {
  return { id, provider: 'openai' as const, baseUrl: `http://${id}.test/v1`, model: `${id}-model`, ...extra };
}

/**
 * A governor over `topology` on a manual clock and a recording memory store,
 * with a fake transport. Backoff jitter is `random` (default 0.5).
 */
export function governorFor(
  topology: GovernorTopology,
  options: Omit<GovernorOptions, keyof GovernorTopology | 'clock' | 'store'> = {},
): Rig {
  const clock = new ManualClock();
  const store = new CountingStore(new MemoryStore({ clock, sweepIntervalMs: 0 }));
  const events = Object.fromEntries(EVENT_NAMES.map((n) => [n, []])) as unknown as EventLog;
  const recorder = Object.fromEntries(
    EVENT_NAMES.map((n) => [n, (e: never) => (events[n] as unknown[]).push(e)]),
  );
  const governor = new Governor({
    random: () => 0.5,
    ...options,
    ...topology,
    clock,
    store,
    observers: [recorder, ...(options.observers ?? [])],
  });
  const transport = new FakeTransport(clock);
  return {
    clock,
    store,
    governor,
    transport,
    events,
    execute: (c) => governor.execute(c, transport),
    serve: (c, answer) =>
      serveCall(governor, c, transport, {
        family: c.family,
        requestId: c.id,
        maxClientWaitMs: governor.maxClientWaitMs,
        deploymentHeader: false,
        ...answer,
      }),
    flush: () => flushAsync(10),
  };
}

/** A flat `[name, value, …]` header list as a record (last value wins). */
export function headersOf(answer: { headers: readonly string[] }): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < answer.headers.length; i += 2)
    out[answer.headers[i] as string] = answer.headers[i + 1] as string;
  return out;
}

/** Relays a success's whole body (the reply's chunks, as scripted) and ends it; returns what the caller got. */
export function relayAll(answer: Answer, reply: FakeReply): string {
  const relay = answer.relay;
  if (!relay) throw new Error('the answer has no relay (not a success)');
  const out = reply.chunks.map((chunk) => relay.push(chunk));
  out.push(relay.end());
  return text(out);
}

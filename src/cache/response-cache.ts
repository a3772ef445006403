/**
 * The response cache's decisions for one call, the same for every face
 * (`runtime/exchange/serve.ts` asks): whether the call can be cached at all
 * (a chat call of a group with `cache`, readable into the neutral form, not
 * `no-store`), whether an entry answers it (exact, then semantic), who goes
 * upstream when several identical calls miss at once (one leader; the
 * others wait for its answer), what is kept (only a complete answer), and
 * an old entry when no deployment can serve.
 *
 * Entries hold the neutral answer (JSON), so any caller's API and framing
 * can be answered from any entry. A hit touches no bucket.
 */
import type { Clock } from '../core/clock.js';
import { chatApiOfEndpoint } from '../providers/translate/chat-apis.js';
import type { NeutralAnswer, NeutralRequest } from '../providers/translate/neutral.js';
import type { Emit } from '../runtime/events.js';
import type { AnswerCapture } from '../runtime/exchange/answer-keeper.js';
import type { Call } from '../runtime/exchange/call.js';
import type { GroupCacheConfig, ModelGroup } from '../runtime/model-groups.js';
import { type CacheKey, cacheKeyOf } from './cache-key.js';
import { type CacheStats, type CacheStore, DEFAULT_MAX_ENTRY_BYTES } from './cache-store.js';

/** The embedding of `text` through the `embeddings` group (governed and counted like any call). */
export type Embed = (embeddings: string, text: string, tenant: string) => Promise<Float32Array | undefined>;

/** The semantic side: the nearest stored question in a partition, above a similarity. */
export interface SemanticMatcher {
  nearest(
    partition: string,
    vector: Float32Array,
    similarity: number,
    now: number,
    maxAgeMs: number,
  ): Promise<{ readonly key: string; readonly similarity: number } | undefined>;
  add(partition: string, key: string, vector: Float32Array, now: number, ttlMs: number): Promise<void>;
}

export const DEFAULT_SIMILARITY = 0.95;

export type CacheLookup =
  /** The group has no cache: nothing is said about it. */
  | { readonly kind: 'off' }
  | { readonly kind: 'bypass' }
  | {
      readonly kind: 'hit';
      readonly answer: NeutralAnswer;
      readonly request: NeutralRequest;
      readonly similarity: number | undefined;
    }
  | { readonly kind: 'miss'; readonly miss: CacheMiss };

/** A call the cache did not answer: what to key its answer with, once it comes. */
export interface CacheMiss {
  readonly key: CacheKey;
  readonly group: string;
  readonly tenant: string;
  readonly config: GroupCacheConfig;
  readonly request: NeutralRequest;
  /** The last user message's embedding, computed for the lookup and reused to index the answer. */
  readonly vector: Float32Array | undefined;
}

interface Flight {
  readonly answer: Promise<NeutralAnswer | undefined>;
  settle(answer: NeutralAnswer | undefined): void;
}

export class ResponseCache {
  private readonly flights = new Map<string, Flight>();

  constructor(
    private readonly store: CacheStore,
    private readonly deps: {
      readonly clock: Clock;
      readonly emit: Emit;
      readonly semantic?: SemanticMatcher | undefined;
      readonly embed?: Embed | undefined;
      readonly maxEntryBytes?: number | undefined;
    },
  ) {}

  async lookup(call: Call, group: ModelGroup, tenant: string): Promise<CacheLookup> {
    const config = group.cache;
    if (!config) return { kind: 'off' };
    const api = chatApiOfEndpoint(call.endpoint);
    const read =
      api && call.body !== undefined && call.cacheDirective !== 'no-store'
        ? api.readRequest({ body: call.body, model: call.model, stream: call.stream })
        : undefined;
    if (!read?.ok) {
      this.report(group.name, tenant, 'bypass');
      return { kind: 'bypass' };
    }
    const request = read.value;
    const key = cacheKeyOf(request, group.name, config.scope === 'shared' ? '*' : tenant);
    const base = { key, group: group.name, tenant, config, request };
    if (call.cacheDirective === 'no-cache') return { kind: 'miss', miss: { ...base, vector: undefined } };
    const now = this.deps.clock.now();
    const exact = await this.fresh(key.exact, config, now);
    if (exact) return this.hit(base, exact, undefined);
    // The same question is already on its way upstream: its answer will serve, no embedding needed.
    if (this.flights.has(key.exact)) return { kind: 'miss', miss: { ...base, vector: undefined } };
    let vector: Float32Array | undefined;
    const { semantic, embed } = this.deps;
    if (
      config.mode === 'semantic' &&
      semantic &&
      embed &&
      config.embeddings &&
      key.lastUserText !== undefined
    ) {
      vector = await embed(config.embeddings, key.lastUserText, tenant).catch(() => undefined);
      const near = vector
        ? await semantic
            .nearest(key.partition, vector, config.similarity ?? DEFAULT_SIMILARITY, now, config.ttlMs)
            .catch(() => undefined)
        : undefined;
      const entry = near ? await this.fresh(near.key, config, now) : undefined;
      if (near && entry) return this.hit(base, entry, near.similarity);
    }
    return { kind: 'miss', miss: { ...base, vector } };
  }

  /**
   * The answer of an identical call already on its way upstream, or
   * undefined when this call leads (it must then `capture` its answer).
   * In-process only: instances sharing Redis each send their own leader.
   */
  follow(miss: CacheMiss): Promise<NeutralAnswer | undefined> | undefined {
    const flight = this.flights.get(miss.key.exact);
    if (flight) return flight.answer;
    let settle!: (answer: NeutralAnswer | undefined) => void;
    const answer = new Promise<NeutralAnswer | undefined>((resolve) => {
      settle = resolve;
    });
    this.flights.set(miss.key.exact, {
      answer,
      settle: (a) => {
        this.flights.delete(miss.key.exact);
        settle(a);
      },
    });
    return undefined;
  }

  /** Where the leader's answer goes: kept when complete, and handed to every follower either way. */
  capture(miss: CacheMiss): AnswerCapture {
    let done = false;
    const flight = this.flights.get(miss.key.exact);
    return {
      maxBytes: this.deps.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
      keep: (answer) => {
        if (done) return;
        done = true;
        flight?.settle(answer);
        void this.keep(miss, answer);
      },
      drop: () => {
        if (done) return;
        done = true;
        flight?.settle(undefined);
      },
    };
  }

  /** Lets followers go when the leader never got an answer to capture (refused, failed). */
  release(miss: CacheMiss): void {
    this.flights.get(miss.key.exact)?.settle(undefined);
  }

  /** An entry up to `stale_ttl_s` old, for a call no deployment could serve. */
  async stale(miss: CacheMiss): Promise<NeutralAnswer | undefined> {
    const { config } = miss;
    if (config.staleTtlMs === undefined) return undefined;
    const now = this.deps.clock.now();
    const entry = await this.store.get(miss.key.exact, now).catch(() => undefined);
    if (!entry || now - entry.storedAt > config.staleTtlMs) return undefined;
    const answer = parseAnswer(entry.payload);
    if (answer) this.report(miss.group, miss.tenant, 'stale', answer);
    return answer;
  }

  /** What the entry store holds (Redis: every instance's entries). */
  stats(): Promise<CacheStats> {
    return this.store.stats();
  }

  /** A miss that went upstream, counted. */
  missed(miss: CacheMiss): void {
    this.report(miss.group, miss.tenant, 'miss');
  }

  private async keep(miss: CacheMiss, answer: NeutralAnswer): Promise<void> {
    const now = this.deps.clock.now();
    const ttl = { ttlMs: miss.config.ttlMs, staleTtlMs: miss.config.staleTtlMs ?? miss.config.ttlMs };
    // The scope is said, never whose: a store is readable by operators.
    const entry = { payload: JSON.stringify(answer), group: miss.group, scope: miss.config.scope };
    const stored = await this.store.set(miss.key.exact, entry, ttl, now).catch(() => false);
    if (stored && miss.vector && this.deps.semantic)
      await this.deps.semantic
        .add(miss.key.partition, miss.key.exact, miss.vector, now, ttl.staleTtlMs)
        .catch(() => undefined);
  }

  private async fresh(
    key: string,
    config: GroupCacheConfig,
    now: number,
  ): Promise<NeutralAnswer | undefined> {
    const entry = await this.store.get(key, now).catch(() => undefined);
    if (!entry || now - entry.storedAt > config.ttlMs) return undefined;
    return parseAnswer(entry.payload);
  }

  private hit(
    base: Omit<CacheMiss, 'vector'>,
    answer: NeutralAnswer,
    similarity: number | undefined,
  ): CacheLookup {
    this.report(base.group, base.tenant, 'hit', answer, similarity);
    return { kind: 'hit', answer, request: base.request, similarity };
  }

  private report(
    group: string,
    tenant: string,
    outcome: 'hit' | 'miss' | 'stale' | 'bypass',
    answer?: NeutralAnswer,
    similarity?: number,
  ): void {
    const savedTokens = answer ? answer.usage.inputTokens + answer.usage.outputTokens : 0;
    this.deps.emit('cache', { group, tenant, outcome, savedTokens, similarity });
  }
}

function parseAnswer(payload: string): NeutralAnswer | undefined {
  try {
    const value = JSON.parse(payload) as NeutralAnswer;
    return value && typeof value === 'object' && Array.isArray(value.content) ? value : undefined;
  } catch {
    return undefined;
  }
}

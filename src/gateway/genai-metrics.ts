/**
 * The OpenTelemetry GenAI client metrics (semantic conventions, "Generative
 * AI client metrics"), in their Prometheus names: dots become underscores,
 * a unit of seconds adds `_seconds`, the `{token}` annotation adds nothing.
 * Sluice is the client of every upstream, so an operation is one attempt
 * on a deployment: token usage and duration per attempt, time to first
 * chunk for streamed ones. Labels are the conventions' attributes
 * (`gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
 * `gen_ai.token.type`, `error.type`), underscored. Bucket boundaries are the
 * ones the conventions recommend.
 *
 * Children are cached per `UpstreamIdentity` (one frozen object per
 * deployment and endpoint), so an observation is a map lookup and an add.
 */
import type { Registry } from 'prom-client';
import type { Endpoint, ProviderKind } from '../providers/adapter.js';
import type { GovernorEvents, UpstreamIdentity } from '../runtime/events.js';
import { type HistogramChild, HotHistogram } from './hot-metrics.js';

const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** `gen_ai.operation.name` per endpoint (well-known values of the conventions where one fits). */
const OPERATION: Readonly<Record<Endpoint, string>> = Object.freeze({
  chat_completions: 'chat',
  responses: 'chat',
  messages: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
  generate_content: 'generate_content',
  stream_generate_content: 'generate_content',
  embed_content: 'embeddings',
  batch_embed_contents: 'embeddings',
  count_tokens: 'count_tokens',
  models: 'models',
  scheduled: 'scheduled',
});

/** `gen_ai.provider.name` per provider kind (the conventions' well-known values; the rest as Sluice names them). */
const PROVIDER: Readonly<Record<ProviderKind, string>> = Object.freeze({
  openai: 'openai',
  azure: 'azure.ai.openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  'openai-compatible': 'openai_compatible',
});

const OPERATION_LABELS = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'];

interface Children {
  readonly input: HistogramChild;
  readonly output: HistogramChild;
  readonly duration: HistogramChild;
  readonly firstChunk: HistogramChild;
  readonly failures: Map<string, HistogramChild>;
}

export class GenAiMetrics {
  private readonly tokenUsage: HotHistogram;
  private readonly duration: HotHistogram;
  private readonly firstChunk: HotHistogram;
  private readonly children = new WeakMap<UpstreamIdentity, Children>();

  constructor(registry: Registry) {
    this.tokenUsage = new HotHistogram(
      'gen_ai_client_token_usage',
      'OTel gen_ai.client.token.usage: input and output tokens per upstream operation (reported, or counted from a cut stream).',
      [...OPERATION_LABELS, 'gen_ai_token_type'],
      TOKEN_BUCKETS,
      registry,
    );
    this.duration = new HotHistogram(
      'gen_ai_client_operation_duration_seconds',
      'OTel gen_ai.client.operation.duration: from sending an attempt to the end of its answer; error_type set when it failed.',
      [...OPERATION_LABELS, 'error_type'],
      DURATION_BUCKETS,
      registry,
    );
    this.firstChunk = new HotHistogram(
      'gen_ai_client_operation_time_to_first_chunk_seconds',
      'OTel gen_ai.client.operation.time_to_first_chunk: from sending a streamed attempt to its first body chunk.',
      OPERATION_LABELS,
      DURATION_BUCKETS,
      registry,
    );
  }

  settled(e: Parameters<GovernorEvents['settled']>[0]): void {
    if (!e.answered) return; // a failed attempt is timed by its upstream event
    const c = this.childrenOf(e.target);
    c.duration.observe(e.durationMs / 1000);
    if (e.streamed && e.firstChunkMs !== undefined) c.firstChunk.observe(e.firstChunkMs / 1000);
    const { inputTokens, outputTokens } = e.delivered;
    if (inputTokens + outputTokens === 0) return; // nothing counted: the conventions say not to report
    c.input.observe(inputTokens);
    c.output.observe(outputTokens);
  }

  /** A failed attempt (an error status or no answer): its duration, by error kind. */
  upstream(e: Parameters<GovernorEvents['upstream']>[0]): void {
    if (e.errorKind === undefined) return; // a success is timed when its body ends
    const failures = this.childrenOf(e.target).failures;
    let child = failures.get(e.errorKind);
    if (!child) {
      child = this.duration.child([...labelsOf(e.target), e.errorKind]);
      failures.set(e.errorKind, child);
    }
    child.observe(e.latencyMs / 1000);
  }

  private childrenOf(target: UpstreamIdentity): Children {
    let c = this.children.get(target);
    if (!c) {
      const labels = labelsOf(target);
      c = {
        input: this.tokenUsage.child([...labels, 'input']),
        output: this.tokenUsage.child([...labels, 'output']),
        duration: this.duration.child([...labels, '']),
        firstChunk: this.firstChunk.child(labels),
        failures: new Map(),
      };
      this.children.set(target, c);
    }
    return c;
  }
}

function labelsOf(target: UpstreamIdentity): string[] {
  return [OPERATION[target.endpoint], PROVIDER[target.provider], target.model];
}

/**
 * How well Sluice's guesses match what providers report, and whether its
 * retries pay off: estimate accuracy per deployment (the seeds' "actual vs.
 * estimated quota consumption"), tokens per request as a distribution per
 * tenant and model group, retry outcomes, and the provider prompt-cache hit
 * ratio per deployment.
 *
 * Per-request observations go to children cached per deployment and per
 * tenant × group, so no label array is built on the request path.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Endpoint } from '../providers/adapter.js';
import type { GovernorEvents } from '../runtime/events.js';
import { type HistogramChild, HotCounter, HotHistogram } from './hot-metrics.js';

const NO_TOKENS: ReadonlySet<Endpoint> = new Set<Endpoint>(['count_tokens', 'models']);
/** estimated ÷ reported: below 1 under-reserved (the bucket was charged more at settlement), above 1 over-reserved. */
const RATIO_BUCKETS = [0.25, 0.5, 0.75, 0.9, 0.95, 1, 1.05, 1.1, 1.25, 1.5, 2, 4, 8, 16, 64];
/** Tokens per request: powers of two, fine enough for p50/p95/p99 by `histogram_quantile`. */
const REQUEST_TOKEN_BUCKETS = [
  1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288,
  1048576,
];

interface PerDeployment {
  readonly inputRatio: HistogramChild;
  readonly outputRatio: HistogramChild;
  readonly estimatedInput: { value: number };
  readonly estimatedOutput: { value: number };
  readonly reportedInput: { value: number };
  readonly reportedOutput: { value: number };
  readonly promptTokens: { value: number };
  readonly cacheReads: { value: number };
}

interface PerTenantGroup {
  readonly input: HistogramChild;
  readonly output: HistogramChild;
}

export class AccuracyMetrics {
  private readonly ratio: HotHistogram;
  private readonly estimated: HotCounter;
  private readonly reported: HotCounter;
  private readonly requestTokens: HotHistogram;
  private readonly retryOutcomes: HotCounter;
  private readonly promptTokens: HotCounter;
  private readonly cacheReads: HotCounter;
  private readonly deployments = new Map<string, PerDeployment>();
  private readonly tenants = new Map<string, Map<string, PerTenantGroup>>();

  constructor(registry: Registry) {
    this.ratio = new HotHistogram(
      'sluice_estimate_ratio',
      'Estimated ÷ provider-reported tokens per answered request, by deployment and direction (1 = exact; output estimates are max_tokens or a learned figure).',
      ['deployment', 'direction'],
      RATIO_BUCKETS,
      registry,
    );
    this.estimated = new HotCounter(
      'sluice_estimated_tokens_total',
      'Tokens reserved for requests whose usage the provider then reported, by deployment and direction.',
      ['deployment', 'direction'],
      registry,
    );
    this.reported = new HotCounter(
      'sluice_reported_tokens_total',
      'Tokens the provider reported for the same requests (compare with sluice_estimated_tokens_total).',
      ['deployment', 'direction'],
      registry,
    );
    this.requestTokens = new HotHistogram(
      'sluice_request_tokens',
      'Tokens per answered request (delivered), by tenant, model group and direction.',
      ['tenant', 'group', 'direction'],
      REQUEST_TOKEN_BUCKETS,
      registry,
    );
    this.retryOutcomes = new HotCounter(
      'sluice_retry_outcomes_total',
      'Calls that retried after a backoff, by the deployment of the last retry and whether they were then served (succeeded) or not (failed).',
      ['deployment', 'outcome'],
      registry,
    );
    this.promptTokens = new HotCounter(
      'sluice_prompt_tokens_total',
      'Prompt tokens providers reported reading, cached or not, by deployment.',
      ['deployment'],
      registry,
    );
    this.cacheReads = new HotCounter(
      'sluice_prompt_cache_read_tokens_total',
      'Prompt tokens providers served from their prompt cache (Anthropic cache_read_input_tokens, OpenAI cached_tokens, Gemini cachedContentTokenCount), by deployment.',
      ['deployment'],
      registry,
    );
    const reads = this.cacheReads;
    const prompts = this.promptTokens;
    new Gauge({
      name: 'sluice_prompt_cache_hit_ratio',
      help: 'Share of prompt tokens served from the provider prompt cache since start, by deployment.',
      labelNames: ['deployment'],
      registers: [registry],
      // Over `--workers N`: the workers' mean (each ratio is its own traffic's; close enough for a dashboard).
      aggregator: 'average',
      collect() {
        this.reset();
        const read = new Map(reads.get().values.map((v) => [String(v.labels.deployment), v.value]));
        for (const p of prompts.get().values) {
          const deployment = String(p.labels.deployment);
          this.labels(deployment).set(p.value > 0 ? (read.get(deployment) ?? 0) / p.value : 0);
        }
      },
    });
  }

  /** Series that exist from start at zero, for the deployments configured now. */
  declare(deployments: readonly string[]): void {
    for (const d of deployments) {
      this.perDeployment(d);
      this.retryOutcomes.declare([d, 'succeeded']);
      this.retryOutcomes.declare([d, 'failed']);
    }
  }

  settled(e: Parameters<GovernorEvents['settled']>[0]): void {
    // A token count or a model list uses no tokens: neither a request size nor an estimate to judge.
    if (!e.answered || NO_TOKENS.has(e.target.endpoint)) return;
    const d = this.perDeployment(e.deployment);
    const delivered = e.delivered;
    const perRequest = this.perTenantGroup(e.tenant, e.group);
    perRequest.input.observe(delivered.inputTokens);
    perRequest.output.observe(delivered.outputTokens);
    if (!e.reported || !e.usage) return;
    const { estimate, usage } = e;
    d.estimatedInput.value += estimate.inputTokens;
    d.estimatedOutput.value += estimate.outputTokens;
    d.reportedInput.value += usage.inputTokens;
    d.reportedOutput.value += usage.outputTokens;
    if (usage.inputTokens > 0) d.inputRatio.observe(estimate.inputTokens / usage.inputTokens);
    if (usage.outputTokens > 0) d.outputRatio.observe(estimate.outputTokens / usage.outputTokens);
    const cacheRead = delivered.cacheReadTokens;
    if (cacheRead !== undefined) {
      d.promptTokens.value += delivered.promptTokens ?? delivered.inputTokens;
      d.cacheReads.value += cacheRead;
    }
  }

  retried(e: Parameters<GovernorEvents['retried']>[0]): void {
    this.retryOutcomes.inc([e.deployment, e.outcome]);
  }

  private perDeployment(deployment: string): PerDeployment {
    let d = this.deployments.get(deployment);
    if (!d) {
      d = {
        inputRatio: this.ratio.child([deployment, 'input']),
        outputRatio: this.ratio.child([deployment, 'output']),
        estimatedInput: this.estimated.child([deployment, 'input']),
        estimatedOutput: this.estimated.child([deployment, 'output']),
        reportedInput: this.reported.child([deployment, 'input']),
        reportedOutput: this.reported.child([deployment, 'output']),
        promptTokens: this.promptTokens.child([deployment]),
        cacheReads: this.cacheReads.child([deployment]),
      };
      this.deployments.set(deployment, d);
    }
    return d;
  }

  private perTenantGroup(tenant: string, group: string): PerTenantGroup {
    let byGroup = this.tenants.get(tenant);
    if (!byGroup) {
      byGroup = new Map();
      this.tenants.set(tenant, byGroup);
    }
    let c = byGroup.get(group);
    if (!c) {
      c = {
        input: this.requestTokens.child([tenant, group, 'input']),
        output: this.requestTokens.child([tenant, group, 'output']),
      };
      byGroup.set(group, c);
    }
    return c;
  }
}

/**
 * A named workload, declared once (STYLE.md rule 9): the zod schema gives the
 * types, rejects unknown keys and names the key path in its messages. The
 * same shape is read from `bench/scenarios/*.yaml` and from `--scenario file`.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.js';

export const PRIORITY_CLASSES = ['critical', 'high', 'normal', 'low'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

const positive = z.number().positive().finite();
const count = z.number().int().positive();
const share = z.number().min(0).max(1);
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** A token count distribution; a bare number means a fixed count. */
export const sizeSchema = z.union([
  count.transform((value) => ({ dist: 'fixed' as const, value })),
  z.discriminatedUnion('dist', [
    z.strictObject({ dist: z.literal('fixed'), value: count }),
    z.strictObject({ dist: z.literal('uniform'), min: count, max: count }).refine((u) => u.min <= u.max, {
      message: 'min must not exceed max',
    }),
    z.strictObject({
      dist: z.literal('lognormal'),
      /** Half of the draws fall below the median. */
      median: positive,
      /** Standard deviation of the logarithm (0.5 ≈ a long tail, 1 ≈ a very long one). */
      sigma: z.number().nonnegative().finite(),
      min: count.optional(),
      max: count.optional(),
    }),
    z
      .strictObject({
        dist: z.literal('empirical'),
        /** Observed sizes; drawn uniformly, or by `weights`. */
        values: z.array(count).min(1),
        weights: z.array(z.number().nonnegative()).optional(),
      })
      .refine((e) => !e.weights || e.weights.length === e.values.length, {
        message: 'weights must have one entry per value',
      }),
  ]),
]);
export type SizeDistribution = z.output<typeof sizeSchema>;

const rateFields = {
  /** Mean arrivals per second … */
  rate: positive.optional(),
  /** … or the mean demand as a multiple of the provider's TPM limit (3 = three times what it serves). */
  load: positive.optional(),
  /** Poisson arrivals (default); false spaces them evenly. */
  poisson: z.boolean().default(true),
  /** This many requests arrive together at the start, on top of the process's own (not counted in its rate). */
  burst: count.optional(),
};

export const arrivalSchema = z
  .discriminatedUnion('process', [
    z.strictObject({ process: z.literal('steady'), ...rateFields }),
    z.strictObject({
      process: z.literal('bursty'),
      ...rateFields,
      /** Length of a burst and of the quiet that follows; the mean rate is kept, so bursts run at rate × (on + off) / on. */
      on: duration,
      off: duration,
    }),
    z.strictObject({
      process: z.literal('ramp'),
      ...rateFields,
      /** Multiples of the rate at the start and at the end, linear in between. */
      from: z.number().nonnegative(),
      to: z.number().nonnegative(),
    }),
    z.strictObject({
      process: z.literal('diurnal'),
      ...rateFields,
      /** One "day", squeezed into the run. */
      period: duration,
      /** rate × (1 + amplitude · sin(2πt / period)). */
      amplitude: z.number().min(0).max(1),
    }),
  ])
  .refine((a) => (a.rate === undefined) !== (a.load === undefined), {
    message: 'set exactly one of rate (arrivals per second) or load (multiple of the TPM limit)',
  });
export type Arrival = z.output<typeof arrivalSchema>;

const limitsSchema = z
  .strictObject({ rpm: positive.optional(), tpm: positive.optional() })
  .refine((l) => l.rpm !== undefined || l.tpm !== undefined, { message: 'set rpm, tpm or both' });
export type Limits = z.output<typeof limitsSchema>;

/** A key with limits of its own on the provider; several of them form one model group behind Sluice. */
const keySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only'),
  limits: limitsSchema,
});
export type ProviderKeySpec = z.output<typeof keySchema>;

/** The single key of a scenario that declares `provider.limits` only. */
export const SINGLE_KEY = 'default';

/**
 * What several keys serve together: the sum on each dimension, undefined
 * where some key has no limit on it (that key alone is unlimited there).
 */
export function summedLimits(keys: readonly ProviderKeySpec[]): Limits {
  const sum = (dimension: 'rpm' | 'tpm') =>
    keys.every((k) => k.limits[dimension] !== undefined)
      ? keys.reduce((total, k) => total + (k.limits[dimension] as number), 0)
      : undefined;
  return { rpm: sum('rpm'), tpm: sum('tpm') };
}

/**
 * Which questions the requests ask (the last user message): without it,
 * every request of a size asks the same filler text (`prompt.ts`). With it,
 * each request asks a question of its own (`question-text.ts`), except that
 * a `repeat` share asks an earlier question again word for word and a
 * `paraphrase` share rewords an earlier one (what a semantic cache can still
 * answer). The earlier question is drawn uniformly among the new ones asked
 * so far, and the request keeps its sizes, so only the last user message
 * differs. Drawn from the seed like everything else.
 */
const questionsSchema = z
  .strictObject({
    /** Share of requests that repeat an earlier question exactly. */
    repeat: share.default(0),
    /** Share of requests that paraphrase an earlier question. */
    paraphrase: share.default(0),
  })
  .refine((q) => q.repeat + q.paraphrase <= 1, { message: 'repeat + paraphrase must not exceed 1' });
export type QuestionMix = z.output<typeof questionsSchema>;

/**
 * The response cache the Sluice targets put on the scenario's model group
 * (README "Response cache"). Semantic mode embeds through a group the
 * bench adds on the same provider (`EMBEDDINGS_MODEL`).
 */
const cacheSchema = z
  .strictObject({
    mode: z.enum(['exact', 'semantic']),
    ttl_s: positive.default(600),
    /** Cosine a semantic match needs (Sluice's default when unset). */
    similarity: z.number().gt(0).max(1).optional(),
    scope: z.enum(['tenant', 'shared']).default('tenant'),
  })
  .refine((c) => c.mode === 'semantic' || c.similarity === undefined, {
    message: 'only semantic mode compares; exact mode takes no similarity',
    path: ['similarity'],
  });
export type BenchCache = z.output<typeof cacheSchema>;

/** The embeddings model the bench's semantic cache uses, on the scenario's provider. */
export const EMBEDDINGS_MODEL = 'text-embedding-3-small';

/**
 * A batch submitted to the gateway's background lane (`/v1/files` +
 * `/v1/batches`) at the start of the run, beside the interactive arrivals.
 * The run is then made twice on fresh providers and gateways, without the
 * batch and with it, and the two are compared (`batch/batch-compare.ts`).
 * Gateway target only: the lane is `sluice serve`'s.
 */
const batchSchema = z.strictObject({
  lines: count.max(50_000).default(1_000),
  /** The tenant the batch belongs to (its own gateway key; not one of `tenants`, which send the interactive calls). */
  tenant: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .default('batch'),
  /** Prompt and answer tokens of every line (fixed, so the lines per minute read as a rate). */
  prompt_tokens: count.default(200),
  output_tokens: count.default(50),
});
export type BenchBatch = z.output<typeof batchSchema>;

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().default(''),
  seed: z.number().int().default(1),
  /** Arrivals stop after this long. */
  duration: duration.default(60_000),
  /** After arrivals stop, how long answers may still take before the rest is cut and counted as unanswered. */
  drain: duration.default(60_000),
  /** Stop arrivals after this many requests, even before `duration`. */
  max_requests: count.optional(),
  model: z.string().min(1).default('gpt-4o-mini'),
  /**
   * Spend the provider's per-minute token bucket before measuring, with a
   * few large requests sent through the same target (not counted), so a
   * short run measures the steady state instead of the first minute's free
   * burst. Applies to the simulator only.
   */
  prime: z.boolean().default(true),
  provider: z
    .strictObject({
      /** Limits of the key × model on the provider (the simulator enforces them; Sluice is told them). */
      limits: limitsSchema.optional(),
      /**
       * Instead of `limits`: several keys, each with its own limits, behind
       * one model group (Sluice gets one deployment per key). `limits` then
       * reads as their sum, the capacity goodput is measured against.
       */
      keys: z.array(keySchema).min(2).optional(),
      latency: z
        .strictObject({
          ttft_ms: z.number().nonnegative().default(0),
          per_token_ms: z.number().nonnegative().default(0),
        })
        .prefault({}),
      /**
       * How the provider counts prompts against Sluice's tokenizer (the
       * simulator's `token_counting.prompt_multiplier`): 0.7 for a provider
       * whose tokenizer gives 30 % fewer tokens, 1.3 for 30 % more.
       */
      prompt_token_multiplier: z.number().min(0.5).max(2).default(1),
      /** Other clients on the same key, per minute (the simulator's `background`). */
      background: z
        .strictObject({ rpm: z.number().nonnegative().optional(), tpm: z.number().nonnegative().optional() })
        .optional(),
    })
    .prefault({ limits: { rpm: 600, tpm: 60_000 } })
    .refine((p) => (p.limits === undefined) !== (p.keys === undefined), {
      message: 'set exactly one of limits (one key) or keys (several)',
    })
    .transform(({ limits, keys, ...rest }) => {
      const all = keys ?? [{ name: SINGLE_KEY, limits: limits as Limits }];
      return { ...rest, keys: all, limits: keys ? summedLimits(keys) : (limits as Limits) };
    }),
  arrival: arrivalSchema,
  prompt_tokens: sizeSchema,
  output_tokens: sizeSchema,
  /** `max_tokens` every request sets (what the provider and Sluice reserve before the answer is known). */
  max_tokens: count,
  /**
   * Whether requests set `max_tokens`. Without it the provider reserves the
   * model's output maximum at admission (PROVIDERS.md §1.5); `max_tokens`
   * then only bounds the answers' length.
   */
  send_max_tokens: z.boolean().default(true),
  /** Share of streamed requests. */
  stream: share.default(0),
  questions: questionsSchema.optional(),
  tiers: z
    .record(z.string(), z.strictObject({ weight: positive.default(1) }))
    .default({ default: { weight: 1 } }),
  tenants: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only'),
        tier: z.string().optional(),
        /** Fair-share weight; default: the tier's. */
        weight: positive.optional(),
        /** Relative share of the arrivals. */
        share: positive,
        /** Which of `sluice.instances` its calls go through (0-based); default: spread over all of them. */
        instance: z.number().int().nonnegative().optional(),
      }),
    )
    .min(1)
    .default([{ name: 'default', share: 1 }]),
  /** Share of the arrivals in each priority class. */
  priorities: z.partialRecord(z.enum(PRIORITY_CLASSES), z.number().nonnegative()).default({ normal: 1 }),
  /** Longest queue wait a request of each class accepts (sent as `x-sluice-max-wait-ms`). */
  max_wait: z.partialRecord(z.enum(PRIORITY_CLASSES), duration).default({}),
  batch: batchSchema.optional(),
  /** How the Sluice targets are configured (beside the provider limits above). */
  sluice: z
    .strictObject({
      safety_margin: z.number().min(0).max(0.5).default(0.03),
      /**
       * `sluice serve` processes sharing one Redis that the bench starts on a
       * free port, clients spread over them (1: one process on the memory
       * store). Only the gateway target runs several; the library and the
       * peers are one process each.
       */
      instances: count.max(16).default(1),
      /**
       * With several instances: one order over their waiting requests
       * (`queue.cluster`, README "One order for the whole cluster"); false
       * runs each instance's queue on its own, for the comparison.
       */
      cluster_order: z.boolean().default(true),
      /** A response cache on the model group; none when unset. */
      cache: cacheSchema.optional(),
      /**
       * The gateway's background lane (`batches:` of its config) for a
       * scenario with a `batch`; Sluice's defaults where unset (headroom 0
       * shows what the headroom buys the interactive calls).
       */
      batches: z
        .strictObject({
          headroom: z.number().min(0).lt(1).optional(),
          min_share: share.optional(),
          concurrency: count.optional(),
        })
        .optional(),
    })
    .prefault({}),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema> & { readonly name: string };

export class ScenarioError extends Error {
  readonly code = 'invalid_scenario';
}

/** Validates a scenario; messages name the source and each key path. */
export function parseScenario(input: unknown, source = 'scenario', fallbackName = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      return `  ${path}: ${issue.message}`;
    });
    throw new ScenarioError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  const scenario = { ...result.data, name: result.data.name ?? fallbackName };
  checkReferences(scenario, source);
  return scenario;
}

function checkReferences(scenario: Scenario, source: string): void {
  const problems: string[] = [];
  scenario.tenants.forEach((t, i) => {
    if (t.tier !== undefined && !Object.hasOwn(scenario.tiers, t.tier)) {
      problems.push(
        `  tenants.${i}.tier: unknown tier "${t.tier}"; declared: ${Object.keys(scenario.tiers).join(', ')}`,
      );
    }
  });
  scenario.tenants.forEach((t, i) => {
    if (t.instance !== undefined && t.instance >= scenario.sluice.instances) {
      problems.push(
        `  tenants.${i}.instance: ${t.instance} is not one of sluice.instances (0 to ${scenario.sluice.instances - 1})`,
      );
    }
  });
  if (scenario.batch && scenario.tenants.some((t) => t.name === scenario.batch?.tenant)) {
    problems.push(
      `  batch.tenant: "${scenario.batch.tenant}" also sends interactive calls; give the batch a tenant of its own`,
    );
  }
  const names = scenario.tenants.map((t) => t.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) problems.push(`  tenants: "${twice}" is listed twice`);
  if (!Object.values(scenario.priorities).some((w) => (w ?? 0) > 0)) {
    problems.push('  priorities: at least one class needs a share above 0');
  }
  if (scenario.arrival.load !== undefined && scenario.provider.limits.tpm === undefined) {
    problems.push(
      '  arrival.load: needs provider.limits.tpm, or a tpm on every key (load is a multiple of it)',
    );
  }
  const keys = scenario.provider.keys.map((k) => k.name);
  const sameKey = keys.find((n, i) => keys.indexOf(n) !== i);
  if (sameKey) problems.push(`  provider.keys: "${sameKey}" is listed twice`);
  if (problems.length) throw new ScenarioError(`${source} is invalid:\n${problems.join('\n')}`);
}

/** Reads a scenario file (YAML or JSON); its name defaults to the file's. */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ScenarioError(`${path} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  return parseScenario(data, path, basename(path, extname(path)));
}

/** The weight of a tenant: its own, else its tier's, else 1. */
export function tenantWeight(scenario: Scenario, tenant: Scenario['tenants'][number]): number {
  return tenant.weight ?? (tenant.tier ? scenario.tiers[tenant.tier]?.weight : undefined) ?? 1;
}

/**
 * The simulator's configuration, declared once (STYLE.md rule 9): the zod
 * schema produces the TypeScript types, rejects unknown keys and names the key
 * path in its messages. The same shape (snake_case, as in YAML) is accepted by
 * `startSimulator(options)`, by `--config file.yaml` and, for the common
 * knobs, by CLI flags.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isTimeZone } from '../core/time-zone.js';

const positive = z.number().positive().finite();
/** Longest answer, in tokens (also caps `x-sim-output-tokens`). */
export const MAX_ANSWER_TOKENS = 1_000_000;
const nonNegative = z.number().nonnegative().finite();

/**
 * Limits of long-context requests (more than `above_input_tokens` of input,
 * cached or not): separate buckets for the dimensions listed, the others
 * shared with standard requests. Anthropic's standard mode splits inputs
 * ≤ 200 K and > 200 K into separate ITPM and OTPM (PROVIDERS.md, "2026 changes").
 */
const rateLimits = {
  rpm: positive.optional(),
  tpm: positive.optional(),
  itpm: positive.optional(),
  otpm: positive.optional(),
  rpd: positive.optional(),
  tpd: positive.optional(),
};

const longContextSchema = z.strictObject({
  above_input_tokens: z.number().int().positive(),
  ...rateLimits,
});
export type LongContextSet = z.infer<typeof longContextSchema>;

/** Limits of one scope (a key × model, or a key × model pool). Every dimension is optional. */
export const limitSetSchema = z.strictObject({
  ...rateLimits,
  concurrency: z.number().int().positive().optional(),
  /**
   * Per-minute limits: continuous bucket (default; Gemini: fixed), a counter
   * reset at every minute (second 00), or `sliced` as Azure does (PROVIDERS.md
   * §2.2): the request limit in `slice_ms` slices (rpm × slice / 60 s each),
   * the token limits as fixed minutes.
   */
  window: z.enum(['bucket', 'fixed', 'sliced']).optional(),
  /** Slice length of a `sliced` window: 1 s or 10 s (default). */
  slice_ms: z.union([z.literal(1_000), z.literal(10_000)]).optional(),
  /** Per-day limits: rolling 24 h bucket, or calendar day. Default: calendar for Gemini, rolling otherwise. */
  day: z.enum(['rolling', 'calendar']).optional(),
  /** Where calendar days start, an IANA zone. Default: America/Los_Angeles for Gemini, UTC otherwise. */
  time_zone: z
    .string()
    .refine(isTimeZone, { error: 'expected an IANA time zone such as America/Los_Angeles' })
    .optional(),
  long_context: longContextSchema.optional(),
});
export type LimitSet = z.infer<typeof limitSetSchema>;

/** A run-time change of a key's limits (`POST /_sim/limits`, `simulator.setLimits`). */
export const limitChangeSchema = z.strictObject({
  key: z.string().min(1),
  model: z.string().min(1),
  limits: z.strictObject(rateLimits),
});

const keySchema = z.strictObject({
  /**
   * Model name → limits. An exact name gets buckets of its own; a name with
   * `*` (e.g. `claude-sonnet-4*`, or `*` alone) is a pool shared by every
   * model it matches, like OpenAI's shared families and Anthropic's model
   * classes (PROVIDERS.md §1.4, §3.2).
   */
  models: z.record(z.string(), limitSetSchema).default({}),
});

export const FAULT_KINDS = [
  '500',
  '502',
  '503',
  '529',
  'overloaded',
  'rate_limited',
  'insufficient_quota',
  'credit_balance_too_low',
  'slow_down',
  'timeout',
  'reset',
  'reset_mid_stream',
  'error_mid_stream',
  'malformed_json',
  'missing_usage',
  'wrong_content_type',
  'slow_stream',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const faultSchema = z
  .strictObject({
    kind: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.enum(FAULT_KINDS)),
    /** Probability per matching request, drawn from the seeded generator. */
    rate: z.number().min(0).max(1).optional(),
    /** 1-based ordinals of matching requests that get the fault. */
    at: z.array(z.number().int().positive()).optional(),
    /** Every n-th matching request. */
    every: z.number().int().positive().optional(),
    /**
     * Every matching request from this 1-based ordinal on (up to `to`): a key
     * that runs out of credit after N calls. `PUT /_sim/faults` (or
     * `Simulator.setFaults`) switches faults mid-run, e.g. the key comes back.
     */
    from: z.number().int().positive().optional(),
    /** Last ordinal of a `from` range (inclusive). */
    to: z.number().int().positive().optional(),
    /** Only between these ms offsets from the simulator's start (clock time); alone it means every request in it. */
    during: z.tuple([nonNegative, nonNegative]).optional(),
    flavour: z.enum(['openai', 'anthropic', 'gemini']).optional(),
    key: z.string().optional(),
    model: z.string().optional(),
    stream: z.boolean().optional(),
    /** reset_mid_stream / error_mid_stream / malformed_json: after this many output tokens (default: half). */
    after_tokens: z.number().int().nonnegative().optional(),
    /** timeout: close the connection after this many ms (default: never answer, until the client gives up). */
    after_ms: nonNegative.optional(),
    /** slow_stream: time per output token. */
    per_token_ms: nonNegative.optional(),
    /** rate_limited, slow_down: the retry-after to send. */
    retry_after_s: nonNegative.optional(),
    /** insufficient_quota (OpenAI): add `x-should-retry: false` so official SDKs fail fast (PROVIDERS.md §8.5). */
    should_retry_header: z.boolean().optional(),
  })
  .refine((f) => f.rate !== undefined || f.at || f.every || f.during || f.from, {
    message: 'a fault needs a trigger: rate, at, every, from or during',
  })
  .refine((f) => f.to === undefined || (f.from !== undefined && f.to >= f.from), {
    message: '`to` ends a `from` range and must not come before it',
    path: ['to'],
  });
export type FaultSpec = z.infer<typeof faultSchema>;

/** A list of faults, as `faults` in the configuration and the body of `PUT /_sim/faults`. */
export const faultListSchema = z.array(faultSchema);
export type FaultSpecInput = z.input<typeof faultSchema>;

const backgroundSchema = z.strictObject({
  key: z.string().min(1),
  model: z.string().min(1),
  flavour: z.enum(['openai', 'anthropic', 'gemini']).optional(),
  /** Units per minute taken by the other clients on each dimension (per-day buckets get the same flow). */
  rpm: nonNegative.optional(),
  tpm: nonNegative.optional(),
  itpm: nonNegative.optional(),
  otpm: nonNegative.optional(),
  /** Slots the other clients hold all the time. */
  concurrency: z.number().int().nonnegative().optional(),
});
export type BackgroundSpec = z.infer<typeof backgroundSchema>;

/**
 * A provider serving part of one tier's traffic at another (PROVIDERS.md
 * "2026 changes": OpenAI downgrades Fast to Standard when traffic ramps,
 * Gemini downgrades Priority): once a key × model was served `after_tokens`
 * admitted tokens at `from` within a window, its further `from` calls are
 * served, and reported, at `to` until the window ends.
 */
const tierDowngradeSchema = z.strictObject({
  /** The tier asked for, as the request names it (OpenAI `priority`, Gemini `priority`). */
  from: z.string().min(1),
  /** The tier answers report instead (OpenAI `default`, Gemini `standard`). */
  to: z.string().min(1),
  after_tokens: z.number().int().nonnegative(),
  /** Fixed windows of this length, from clock time 0. Default one minute. */
  window_ms: z.number().int().positive().default(60_000),
  flavour: z.enum(['openai', 'anthropic', 'gemini']).optional(),
  key: z.string().optional(),
  model: z.string().optional(),
});
export type TierDowngradeSpec = z.infer<typeof tierDowngradeSchema>;

export const simulatorConfigSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
  seed: z.number().int().default(42),
  /** `any`: every non-empty key is accepted; `listed`: only keys under `keys`; `none`: no key needed. */
  auth: z.enum(['any', 'listed', 'none']).default('any'),
  response: z
    .strictObject({
      mode: z.enum(['lorem', 'echo', 'fixed']).default('lorem'),
      /** Output tokens of a lorem answer. */
      tokens: z.number().int().nonnegative().max(MAX_ANSWER_TOKENS).default(20),
      /** The answer in `fixed` mode. */
      text: z.string().default('This is a simulated response.'),
    })
    .prefault({}),
  latency: z
    .strictObject({
      ttft_ms: nonNegative.default(0),
      per_token_ms: nonNegative.default(0),
      /** Each request's latency is scaled by a seeded factor in [1 − jitter, 1 + jitter]. */
      jitter: z.number().min(0).max(1).default(0),
    })
    .prefault({}),
  /** Limits of every key × model not listed under `keys` (each pair has its own buckets). */
  defaults: limitSetSchema.optional(),
  keys: z.record(z.string(), keySchema).default({}),
  openai: z
    .strictObject({
      organization: z.string().default('org-simulated'),
      /** Give back (or charge) the difference between the admission estimate and the real usage at completion. */
      reconcile: z.boolean().default(true),
      /** "Unsuccessful requests contribute to your per-minute limit" (PROVIDERS.md §1.3). */
      charge_rejected: z.boolean().default(true),
      /** Output tokens reserved when a request sets no maximum; a number, or per model prefix. */
      default_max_tokens: z
        .union([z.number().int().positive(), z.record(z.string(), z.number().int().positive())])
        .optional(),
    })
    .prefault({}),
  anthropic: z
    .strictObject({
      organization_id: z.string().default('5f0a6b1e-3c2d-4e8f-9a7b-1c2d3e4f5a6b'),
      /** `produced`: OTPM counts tokens as they are generated (2026 docs); `max_tokens`: reserved at start, adjusted at the end (older docs). */
      otpm: z.enum(['produced', 'max_tokens']).default('produced'),
      /** Token `remaining` headers rounded to the nearest thousand, as documented (PROVIDERS.md §3.1). */
      round_remaining: z.boolean().default(true),
      /** Smallest prefix (tokens) that prompt caching stores. */
      cache_min_tokens: z.number().int().nonnegative().default(1024),
    })
    .prefault({}),
  gemini: z
    .strictObject({
      /** Quota names in 429 bodies: free tier or paid tier metrics. */
      tier: z.enum(['free', 'paid']).default('free'),
    })
    .prefault({}),
  /**
   * How this provider counts prompts compared with Sluice's own estimate:
   * `prompt_multiplier` k charges and reports k × the tokens every flavour
   * counts, like a provider whose tokenizer (or limiter's estimate) differs
   * from the one the governor runs. Cache reads and writes scale alike.
   */
  token_counting: z
    .strictObject({
      prompt_multiplier: z.number().min(0.5).max(2).default(1),
    })
    .prefault({}),
  faults: faultListSchema.default([]),
  /** Service tiers: answers echo the tier asked for, or the one a downgrade rule serves instead. */
  service_tiers: z.strictObject({ downgrades: z.array(tierDowngradeSchema).default([]) }).prefault({}),
  background: z.union([backgroundSchema, z.array(backgroundSchema)]).optional(),
  /** OpenAI Batch + Files APIs and Anthropic Message Batches (`src/simulator/batches/`). */
  batches: z
    .strictObject({
      /** Simulated time per answered line; 0 answers a whole batch in one step. */
      pace_ms_per_line: nonNegative.default(10),
      /** OpenAI enqueued-token limit per key × model: input tokens of batches not ended (PROVIDERS.md §1.4). */
      queue_tokens_per_model: z.number().int().positive().default(2_000_000),
      /** Anthropic: requests of batches still processing, per key (PROVIDERS.md §3). */
      queue_requests: z.number().int().positive().default(100_000),
      /** Anthropic: requests per minute per key to the Message Batches endpoints, all of them (Tier 4 default). */
      anthropic_rpm: z.number().int().positive().default(4_000),
      /** Largest upload to `POST /v1/files`, bytes (OpenAI: 200 MB for batch input). */
      max_file_bytes: z
        .number()
        .int()
        .positive()
        .default(200 * 1024 * 1024),
    })
    .prefault({}),
});

/** What callers write (everything optional). */
export type SimulatorConfigInput = z.input<typeof simulatorConfigSchema>;
/** The configuration with every default filled in. */
export type SimulatorConfig = z.output<typeof simulatorConfigSchema>;

export class SimulatorConfigError extends Error {
  readonly code = 'invalid_simulator_config';
}

/** Validates a configuration object; messages name the source and the key path. */
export function parseSimulatorConfig(input: unknown, source = 'simulator options'): SimulatorConfig {
  const result = simulatorConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    return `  ${path}: ${issue.message}`;
  });
  throw new SimulatorConfigError(`${source} is invalid:\n${lines.join('\n')}`);
}

/** Reads a YAML (or JSON, a subset of YAML) configuration file. */
export async function loadSimulatorConfigFile(path: string): Promise<SimulatorConfigInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SimulatorConfigError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new SimulatorConfigError(`${path} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // Validate here so that the message names the file; the caller merges flags and validates again.
  parseSimulatorConfig(data, path);
  return (data ?? {}) as SimulatorConfigInput;
}

/** Every background entry as a list. */
export function backgroundList(config: SimulatorConfig): readonly BackgroundSpec[] {
  const b = config.background;
  if (!b) return [];
  return Array.isArray(b) ? b : [b];
}

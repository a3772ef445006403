/**
 * The governor's configuration, declared once (STYLE.md rule 9): these zod
 * fields are the config format (snake_case, the same in YAML and in code),
 * the TypeScript types and the error messages, for both faces. The gateway
 * (`gateway/config/schema.ts`) and the library (`createGovernor`) build
 * their schemas from the same fields and add only their own keys. Every
 * object is strict: an unknown key is an error, so a typo (`rmp:` for
 * `rpm:`, `baseUrl` for `base_url`) never silently turns a limit off.
 * Cross-references (tiers, pools, fallbacks, priorities) are checked too, so
 * a bad config is refused with a message naming the key instead of failing
 * deep inside the runtime.
 */
import { z } from 'zod';
import { BACKGROUND_CLASS, classNamesWithBackground } from '../core/scheduler/priority.js';
import { isTimeZone } from '../core/time-zone.js';
import { API_FAMILIES, type ApiFamily, familiesOf } from '../providers/api-family.js';
import { serviceTiersOf } from '../providers/service-tier.js';
import type { LimitsConfig } from '../runtime/limits.js';
import { windowProblems, withProviderWindows } from '../runtime/window-rules.js';

export const positive = z.number().positive().finite();
export const nonNegative = z.number().nonnegative().finite();
export const positiveInt = z.number().int().positive();
export const name = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, "may only use letters, digits, '.', '_' and '-'")
  .min(1);

const windowRule = z.enum(['continuous', 'fixed', 'sliced']);
/** The limits a window rule can apply to (every name of `limitFields` with a window). */
const WINDOWED_LIMITS = ['rps', 'rpm', 'rpd', 'tps', 'tpm', 'tpd', 'itpm', 'otpm', 'itpd', 'otpd'] as const;

/** Rate limits of one scope; the names match `LIMIT_NAMES` of the runtime. */
export const limitFields = {
  rps: positive.optional(),
  rpm: positive.optional(),
  rpd: positive.optional(),
  tps: positive.optional(),
  tpm: positive.optional(),
  tpd: positive.optional(),
  itpm: positive.optional(),
  otpm: positive.optional(),
  itpd: positive.optional(),
  otpd: positive.optional(),
  concurrency: positiveInt.optional(),
  /** Per-day limits: rolling 24 h (default) or reset at midnight (`time_zone`, default UTC). */
  day: z.enum(['rolling', 'calendar']).optional(),
  /**
   * How the limits are enforced: `continuous` refill (default), `fixed`
   * counters reset at each minute/day boundary, or `sliced` per-minute limits
   * enforced per 1 s / 10 s slice; for the whole set or per limit
   * (`{ rpm: sliced, tpm: fixed }`). Gemini and Azure deployments default to
   * their providers' rules (README, "Window rules").
   */
  window: z
    .union([
      windowRule,
      z.strictObject(Object.fromEntries(WINDOWED_LIMITS.map((n) => [n, windowRule.optional()]))),
    ])
    .optional(),
  /** Slice of a `sliced` limit. */
  slice: z.enum(['1s', '10s']).optional(),
  /** Where fixed periods start, an IANA zone (Gemini: America/Los_Angeles). */
  time_zone: z
    .string()
    .refine(isTimeZone, { error: 'expected an IANA time zone such as America/Los_Angeles or UTC' })
    .optional(),
};
/**
 * Window rules the runtime cannot honour, reported at their key (a slice too
 * short for its limit, a sliced day, a slice nothing uses). A deployment's
 * limits are checked with its provider's rules beneath (an Azure deployment's
 * `slice` applies to the RPM its provider slices).
 */
function checkWindows(
  input: Partial<LimitsInput>,
  ctx: z.RefinementCtx,
  at: { path?: string[]; provider?: string } = {},
): void {
  const limits = {
    ...input,
    ...(input.slice !== undefined && { sliceMs: input.slice === '1s' ? 1_000 : 10_000 }),
    ...(input.time_zone !== undefined && { timeZone: input.time_zone }),
  } as LimitsConfig;
  const withDefaults =
    at.provider === undefined ? limits : (withProviderWindows(at.provider, limits) ?? limits);
  for (const problem of windowProblems(withDefaults)) {
    ctx.addIssue({ code: 'custom', path: [...(at.path ?? []), problem.key], message: problem.message });
  }
}

const limitsObject = z.strictObject(limitFields);
export const limitsSchema = limitsObject.superRefine((limits, ctx) => checkWindows(limits, ctx));
export type LimitsInput = z.infer<typeof limitsObject>;

export const PROVIDERS = ['openai', 'azure', 'anthropic', 'gemini', 'openai-compatible'] as const;

/**
 * Limits of a deployment's long-context calls (runtime/size-class.ts): a
 * call whose input exceeds `above_input_tokens` is charged on the limits
 * declared here instead of the standard ones of the same name; limits not
 * declared here stay shared (Anthropic: ITPM and OTPM separate, RPM shared).
 */
export const longContextSchema = z
  .strictObject({
    above_input_tokens: positiveInt,
    ...limitFields,
  })
  .refine((c) => c.concurrency !== undefined || WINDOWED_LIMITS.some((k) => c[k] !== undefined), {
    message: 'declare at least one limit of the long-context class (e.g. itpm, otpm)',
  });

/** Highest limits a provider-reported raise may reach, by the names of `limits`. */
const limitsCeilingSchema = z.strictObject(
  Object.fromEntries([...WINDOWED_LIMITS, 'concurrency'].map((n) => [n, positive.optional()])) as Record<
    (typeof WINDOWED_LIMITS)[number] | 'concurrency',
    z.ZodOptional<typeof positive>
  >,
);

/**
 * How fast the tokens sent to the deployment may grow (PROVIDERS.md, "Ramps
 * are limited"); the defaults are OpenAI's documented rule: above 1 M TPM,
 * no more than +50 % within 15 minutes.
 */
const rampSchema = z.strictObject({
  /** Growth of the token rate allowed from one window to the next: 0.5 = +50 %. */
  max_growth: positive.default(0.5),
  /** Length of a window, seconds. */
  window_s: positive.default(900),
  /** Tokens per minute below which growth is free. */
  above_tpm: positive.default(1_000_000),
});

/** USD per million tokens (a deployment's `price`, a row of `prices`). */
export const priceSchema = z.strictObject({
  input_per_mtok: nonNegative,
  output_per_mtok: nonNegative,
  cached_input_per_mtok: nonNegative.optional(),
  cache_write_per_mtok: nonNegative.optional(),
});

export const deploymentSchema = z
  .strictObject({
    id: name,
    provider: z.enum(PROVIDERS),
    base_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
    /** Sent upstream instead of anything the caller sent. Use `${ENV_VAR}`. */
    api_key: z.string().min(1).optional(),
    model: z.string().min(1),
    limits: limitsObject.optional(),
    long_context: longContextSchema.optional(),
    pools: z.array(name).optional(),
    weight: positive.optional(),
    /**
     * `reserved`: provisioned capacity already paid for (Azure PTU, a
     * reserved or scale tier) that serves first; `on_demand` (default) takes
     * what reserved deployments of the group cannot serve before a request's deadline.
     */
    capacity: z.enum(['reserved', 'on_demand']).optional(),
    /**
     * The provider service tier sent (OpenAI `service_tier` flex / default /
     * priority / fast / ultrafast, Gemini standard / flex / priority): the
     * limits are that tier's, and an answer served at another tier is charged
     * to the deployment of the same upstream sending that tier.
     */
    service_tier: z.string().min(1).optional(),
    /**
     * USD per million tokens, so the cost of what each deployment served (and
     * of spillover) is visible. Prompt tokens read from the provider's cache
     * and written to it cost `cached_input_per_mtok` / `cache_write_per_mtok`
     * where given (e.g. reads at 10 % of the input price), the input price otherwise.
     */
    price: priceSchema.optional(),
    /** Forwarded batches: the provider's batch queue limit for this deployment (input tokens enqueued). */
    enqueued_tokens: positiveInt.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    learn_limits: z.boolean().optional(),
    /**
     * A higher limit the provider reports (a tier upgrade) is adopted once
     * confirmed; default true. false: the declared limits are upper bounds.
     */
    adopt_raised_limits: z.boolean().optional(),
    /** Highest limits a raise may reach (same names as `limits`); unset names: no bound. */
    limits_ceiling: limitsCeilingSchema.optional(),
    ramp: rampSchema.optional(),
    /** Tenants' betas (`anthropic-beta`, `openai-beta`) passed on: `true` all, a list the named ones; default none. */
    forward_betas: z.union([z.boolean(), z.array(z.string().min(1))]).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.limits) checkWindows(d.limits, ctx, { path: ['limits'], provider: d.provider });
    if (d.long_context) checkWindows(d.long_context, ctx, { path: ['long_context'], provider: d.provider });
    if (d.limits_ceiling) checkCeiling(d, d.limits_ceiling, ctx);
    if (d.service_tier !== undefined) checkServiceTier(d.service_tier, d.provider, ctx);
  });

type GroupsInput = Record<
  string,
  {
    deployments: readonly { provider: (typeof PROVIDERS)[number]; api_key?: string | undefined }[];
    fallbacks?: string[] | undefined;
  }
>;

/**
 * A call reaches a deployment of another API family translated, sent with
 * that deployment's own key (the caller's key is for its own provider), so
 * the router can use a deployment of another family only when it has an
 * `api_key`. Within a group mixing families, and along a fallback to a group
 * of another family, a deployment without one could never be used: refused
 * here, naming it, rather than skipped at every call.
 */
function checkCrossings(
  groups: GroupsInput,
  group: string,
  issue: (path: (string | number)[], message: string) => void,
): void {
  const own = groups[group];
  if (!own) return;
  const families = new Set(own.deployments.flatMap((d) => familiesOf(d.provider)));
  own.deployments.forEach((d, i) => {
    const missing = [...families].filter((f) => !familiesOf(d.provider).includes(f));
    if (missing.length > 0 && d.api_key === undefined) {
      issue(
        ['model_groups', group, 'deployments', i, 'api_key'],
        `this group mixes API families: ${missing.map(familyTitle).join(' and ')} calls reach this ${d.provider} deployment translated, sent with its own key; set api_key`,
      );
    }
  });
  (own.fallbacks ?? []).forEach((name, j) => {
    const fallback = groups[name];
    if (!fallback || name === group) return;
    const usable = fallback.deployments.some(
      (d) => d.api_key !== undefined || [...families].every((f) => familiesOf(d.provider).includes(f)),
    );
    if (!usable) {
      issue(
        ['model_groups', group, 'fallbacks', j],
        `${name} speaks another API and none of its deployments has an api_key to send translated calls with`,
      );
    }
  });
}

function familyTitle(family: ApiFamily): string {
  return API_FAMILIES[family].title;
}

/** A ceiling is a bound on raises: it needs raises, and may not sit below what is declared. */
function checkCeiling(
  d: { adopt_raised_limits?: boolean | undefined; limits?: Partial<LimitsInput> | undefined },
  ceiling: Partial<Record<string, number>>,
  ctx: z.RefinementCtx,
): void {
  if (d.adopt_raised_limits === false) {
    ctx.addIssue({
      code: 'custom',
      path: ['limits_ceiling'],
      message: 'a ceiling bounds raised limits, which adopt_raised_limits: false turns off',
    });
    return;
  }
  for (const [name, bound] of Object.entries(ceiling)) {
    const declared = d.limits?.[name as keyof LimitsInput];
    if (typeof declared === 'number' && bound !== undefined && bound < declared) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits_ceiling', name],
        message: `the ceiling ${bound} is below the declared limit ${declared}`,
      });
    }
  }
}

function checkServiceTier(tier: string, provider: (typeof PROVIDERS)[number], ctx: z.RefinementCtx): void {
  const tiers = serviceTiersOf(provider);
  if (tiers?.includes(tier)) return;
  ctx.addIssue({
    code: 'custom',
    path: ['service_tier'],
    message: tiers
      ? `expected one of ${tiers.join(', ')} for provider ${provider}, got ${JSON.stringify(tier)}`
      : `provider ${provider} has no service tier to send (Anthropic fast mode is a speed, not a tier)`,
  });
}

/**
 * The group's response cache (`src/cache/`): `exact` answers a repeated
 * question, `semantic` also a close paraphrase of its last user message
 * (cosine `similarity` of embeddings from the `embeddings` group). Entries
 * are the tenant's own unless `scope: shared`; `stale_ttl_s` (≥ `ttl_s`,
 * default: none) is how old an answer may be when served because no
 * deployment can serve the call.
 */
export const groupCacheSchema = z
  .strictObject({
    mode: z.enum(['exact', 'semantic']),
    ttl_s: positive,
    similarity: z.number().gt(0).max(1).optional(),
    embeddings: z.string().min(1).optional(),
    scope: z.enum(['tenant', 'shared']).default('tenant'),
    stale_ttl_s: positive.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'semantic' && c.embeddings === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['embeddings'],
        message: 'semantic mode needs an embeddings group',
      });
    if (c.mode === 'exact' && (c.embeddings !== undefined || c.similarity !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: [c.embeddings !== undefined ? 'embeddings' : 'similarity'],
        message: 'only semantic mode embeds and compares; exact mode takes neither',
      });
    if (c.stale_ttl_s !== undefined && c.stale_ttl_s < c.ttl_s)
      ctx.addIssue({ code: 'custom', path: ['stale_ttl_s'], message: `must be at least ttl_s (${c.ttl_s})` });
  });

/**
 * A ceiling on a request's estimated prompt tokens: its conversation loses
 * its oldest turns until it fits (`runtime/load/prompt-budget/`), from
 * the group's load level `when` on (default `act`), or `always`.
 */
export const promptBudgetSchema = z.strictObject({
  tokens: positiveInt,
  when: z.enum(['warn', 'act', 'always']).default('act'),
});

/** What a model group does on its own while its load is `act` (runtime/load/mitigation-config.ts). */
export const mitigationSchema = z
  .strictObject({
    /** Calls of these tiers go to the group's `downgrade.to` whenever it can take them, without the header. */
    downgrade: z.strictObject({ tiers: z.array(z.string()).min(1) }).optional(),
    /** Calls of these classes ask for at most `to` output tokens (set when they name none). */
    clamp_max_tokens: z.strictObject({ classes: z.array(z.string()).min(1), to: positiveInt }).optional(),
    /** Calls of these classes wait (up to their deadline) until the load drops. */
    pause: z.strictObject({ classes: z.array(z.string()).min(1) }).optional(),
    /** These tiers' budgets shrink to `factor` of their limits. */
    tighten: z.strictObject({ tiers: z.array(z.string()).min(1), factor: z.number().gt(0).lt(1) }).optional(),
    /** The least time mitigation stays on once engaged. */
    hold_ms: nonNegative.default(10_000),
  })
  .refine((m) => m.downgrade || m.clamp_max_tokens || m.pause || m.tighten, {
    message: 'name at least one action: downgrade, clamp_max_tokens, pause or tighten',
  });

/**
 * Bucket alert thresholds and queue pressure: what sets each bucket's alert
 * level and each model group's load level (`x-sluice-load`), read every
 * `interval_ms`.
 */
export const alertsFields = {
  /** Utilization (share of usable capacity) that raises a warning. */
  warn: z.number().gt(0).max(1).default(0.8),
  /** Utilization that calls for action (and engages mitigation). */
  act: z.number().gt(0).max(1).default(0.9),
  /** Per-day buckets are budgets spent over hours: they warn earlier. */
  per_day: z
    .strictObject({ warn: z.number().gt(0).max(1).default(0.7), act: z.number().gt(0).max(1).default(0.9) })
    .prefault({})
    .refine((a) => a.act >= a.warn, { message: 'act must be at least warn' }),
  /** How long a group's longest-waiting request may have waited before the group warns or acts. */
  queue: z
    .strictObject({ warn_ms: positiveInt.default(5_000), act_ms: positiveInt.default(15_000) })
    .prefault({})
    .refine((q) => q.act_ms >= q.warn_ms, { message: 'act_ms must be at least warn_ms' }),
  /** How often bucket utilization and queues are read. */
  interval_ms: positiveInt.default(1_000),
};

export const alertsSchema = z
  .strictObject(alertsFields)
  .prefault({})
  .refine((a) => a.act >= a.warn, { message: 'act must be at least warn' });

export const modelGroupSchema = z.strictObject({
  deployments: z.array(deploymentSchema).min(1, 'a model group needs at least one deployment'),
  fallbacks: z.array(z.string()).optional(),
  downgrade: z.strictObject({ to: z.string(), when_headroom_below: z.number().min(0).max(1) }).optional(),
  cache: groupCacheSchema.optional(),
  /**
   * How the group's batches run: `drain` (default) line by line through the
   * governor, `forward` to the provider's own Batch API.
   */
  batch: z.strictObject({ mode: z.enum(['drain', 'forward']).default('drain') }).optional(),
  mitigation: mitigationSchema.optional(),
  prompt_budget: promptBudgetSchema.optional(),
});

export const tierSchema = z
  .strictObject({
    ...limitFields,
    /**
     * Spending budgets in US dollars: each call reserves its estimated price
     * at the deployment that takes it and settles at what the provider
     * counted; over budget is a 429 `budget_exceeded` (README, "Spending budgets").
     */
    usd_per_day: positive.optional(),
    usd_per_month: positive.optional(),
    /** `usd_per_month` resets at the start of each calendar month (default; `time_zone`, default UTC) or is a rolling 30 days. */
    month: z.enum(['rolling', 'calendar']).optional(),
    /** Highest priority class the tier's requests may use. */
    priority: z.string().optional(),
    /** Longest a request may wait for admission before it is refused. */
    max_wait_ms: nonNegative.optional(),
    /** Fair-share weight inside a priority class. */
    weight: positive.optional(),
    /** Token counts (Anthropic count_tokens, Gemini countTokens) per minute, a budget of their own (default: the tier's `rpm`). */
    count_tokens_rpm: positive.optional(),
    /** Its tenants' prompts trimmed to a token budget (the smaller wins where the group has one too). */
    prompt_budget: promptBudgetSchema.optional(),
    /** Caps on the tier's batches, under the gateway-wide `batches` caps. */
    batches: z
      .strictObject({
        /** Lines in one batch. */
        max_lines: positiveInt.optional(),
        /** Bytes of one input file (OpenAI upload, Anthropic create body). */
        max_file_bytes: positiveInt.optional(),
        /** Estimated input tokens of the tenant's batches not ended yet, this one included. */
        max_enqueued_tokens: positiveInt.optional(),
      })
      .optional(),
  })
  .superRefine(checkWindows);

/** A tenant as both faces know it; the gateway adds the key it authenticates by. */
export const tenantFields = {
  id: name,
  tier: z.string().optional(),
  weight: positive.optional(),
  /** Model groups this tenant may call (default: all). */
  model_groups: z.array(z.string()).optional(),
};

const redisStoreSchema = z.strictObject({
  kind: z.literal('redis'),
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
    .optional(),
  cluster_nodes: z.array(z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL')).optional(),
  /** What to do while Redis is unreachable: local shares of every limit, or 503. */
  on_unavailable: z.enum(['fail_open', 'fail_closed']).default('fail_open'),
  /** Gateway instances sharing the limits; each falls back to limit ÷ this. */
  expected_instances: positiveInt.default(1),
  prefix: z.string().min(1).optional(),
  command_timeout_ms: positiveInt.optional(),
  connect_timeout_ms: positiveInt.optional(),
  probe_interval_ms: positiveInt.optional(),
});

export const storeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('memory') }),
  redisStoreSchema,
]);

export const DEFAULT_PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;

/** The keys every face's configuration has. */
export const governorFields = {
  store: storeSchema.default({ kind: 'memory' }),
  /** Share of every limit never handed out. */
  safety_margin: z.number().min(0).lt(1).default(0.1),
  /** Estimates corrected by what providers report (README "Accounting"); `learn: false` turns it off. */
  estimates: z.strictObject({ learn: z.boolean().default(true) }).optional(),
  /** Priority classes, most urgent first. */
  priorities: z.array(name).min(1).optional(),
  default_priority: z.string().optional(),
  default_max_wait_ms: nonNegative.optional(),
  queue: z
    .strictObject({
      max_per_class: z.union([positiveInt, z.array(positiveInt)]).optional(),
      max_total: positiveInt.optional(),
      /** A waiting request climbs one class per this many ms (0: strict priority). */
      aging_ms: nonNegative.optional(),
      /**
       * One order over the waiting requests of every instance sharing the
       * store (Redis, or `--workers` with the memory store): README, "One
       * order for the whole cluster". On by default.
       */
      cluster: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** A dead instance's waiting demand is forgotten this long after its last refresh. */
          demand_lease_ms: positiveInt.min(100).default(3_000),
        })
        .optional(),
    })
    .optional(),
  pools: z.record(name, limitsSchema).default({}),
  model_groups: z.record(name, modelGroupSchema).refine((g) => Object.keys(g).length > 0, {
    message: 'declare at least one model group',
  }),
  tiers: z.record(name, tierSchema).default({}),
  /**
   * Prices by model id, over the built-in list prices (`providers/list-prices.ts`):
   * a negotiated rate for every deployment of a model. A deployment's own `price` wins.
   */
  prices: z.record(z.string().min(1), priceSchema).default({}),
  alerts: alertsSchema,
  /** Calls with an `Idempotency-Key` header run at most once per tenant and key (`src/idempotency/`). */
  idempotency: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long a finished call's answer is replayed. */
      ttl_ms: positiveInt.default(86_400_000),
      /** How long a running call holds its key before another may take it (its instance died). */
      lease_ms: positiveInt.default(600_000),
      /** Keys remembered by the memory store (the oldest finished ones go first); Redis keeps each for ttl_ms. */
      max_entries: positiveInt.default(10_000),
      /** Answers larger than this are not kept (a repeat runs again). */
      max_answer_bytes: positiveInt.default(4 * 1024 * 1024),
    })
    .prefault({}),
  retry: z
    .strictObject({
      max_attempts: positiveInt.optional(),
      base_ms: nonNegative.optional(),
      cap_ms: nonNegative.optional(),
      budget_ratio: z.number().min(0).optional(),
      budget_minimum: z.number().int().min(0).optional(),
      /**
       * A refusal or upstream error asking a client to wait longer than this
       * says `x-should-retry: false`: the official SDKs would otherwise sleep
       * out a 12-hour Retry-After (default 60 s).
       */
      max_client_wait_ms: nonNegative.optional(),
    })
    .optional(),
  circuit: z
    .strictObject({
      /** Failures in a row that open a deployment's circuit. */
      consecutive_failures: positiveInt.optional(),
      /** Share of failed calls in `window_ms` that opens it, once `min_requests` were seen. */
      error_rate: z.number().gt(0).max(1).optional(),
      window_ms: positiveInt.optional(),
      min_requests: positiveInt.optional(),
      /** Longest an opening lasts before one probe is let through. */
      open_ms: positiveInt.optional(),
      /** A first opening lasts this long; each re-opening doubles it, up to `open_ms`. */
      first_open_ms: positiveInt.optional(),
      /**
       * A key that cannot serve (out of credit or quota, credentials refused)
       * is probed once after this long, then at doubling intervals (default 60 s).
       */
      dead_key_probe_ms: positiveInt.optional(),
      /** Longest interval between probes of a key that cannot serve (default 15 min). */
      dead_key_probe_max_ms: positiveInt.optional(),
    })
    .optional()
    .refine(
      (c) => c?.first_open_ms === undefined || c.open_ms === undefined || c.first_open_ms <= c.open_ms,
      {
        message: 'first_open_ms must not be longer than open_ms',
        path: ['first_open_ms'],
      },
    )
    .refine(
      (c) =>
        c?.dead_key_probe_ms === undefined ||
        c.dead_key_probe_max_ms === undefined ||
        c.dead_key_probe_ms <= c.dead_key_probe_max_ms,
      {
        message: 'dead_key_probe_ms must not be longer than dead_key_probe_max_ms',
        path: ['dead_key_probe_ms'],
      },
    ),
};

const governorShape = z.strictObject({
  ...governorFields,
  tenants: z.array(z.strictObject(tenantFields)),
});
export type GovernorFields = z.output<typeof governorShape>;
export type DeploymentInput = z.output<typeof deploymentSchema>;
export type TierInput = z.output<typeof tierSchema>;
export type StoreConfig = GovernorFields['store'];

/** Reports a problem at a key path. */
export type Issue = (path: (string | number)[], message: string) => void;

/** Names used in one place must be declared in another. */
export function checkGovernorReferences(config: GovernorFields, issue: Issue): void {
  const configured: readonly string[] = config.priorities ?? DEFAULT_PRIORITIES;
  // `background` (batch lines) always exists below the configured classes.
  const withBackground = classNamesWithBackground(configured);
  if (!withBackground) {
    issue(
      ['priorities', configured.indexOf(BACKGROUND_CLASS)],
      `${BACKGROUND_CLASS} is the class below every other: list it last or not at all`,
    );
  }
  const classes = withBackground ?? configured;
  const groups = Object.keys(config.model_groups);
  const list = (names: readonly string[]) => names.join(', ') || '(none)';

  if (config.default_priority !== undefined && !classes.includes(config.default_priority)) {
    issue(['default_priority'], `unknown priority; expected one of ${list(classes)}`);
  }
  const ids = new Map<string, string>();
  for (const [group, g] of Object.entries(config.model_groups)) {
    g.deployments.forEach((d, i) => {
      const at = ['model_groups', group, 'deployments', i];
      const seen = ids.get(d.id);
      if (seen) issue([...at, 'id'], `deployment id ${d.id} is already used in ${seen}`);
      ids.set(d.id, `model_groups.${group}`);
      (d.pools ?? []).forEach((pool, j) => {
        if (!(pool in config.pools)) {
          issue(
            [...at, 'pools', j],
            `unknown pool ${pool}; expected one of ${list(Object.keys(config.pools))}`,
          );
        }
      });
    });
    (g.fallbacks ?? []).forEach((f, j) => {
      if (!groups.includes(f) || f === group) {
        issue(
          ['model_groups', group, 'fallbacks', j],
          `unknown model group ${f}; expected one of ${list(groups.filter((x) => x !== group))}`,
        );
      }
    });
    if (g.downgrade && !groups.includes(g.downgrade.to)) {
      issue(['model_groups', group, 'downgrade', 'to'], `unknown model group ${g.downgrade.to}`);
    }
    checkMitigation(
      g,
      ['model_groups', group, 'mitigation'],
      { tiers: Object.keys(config.tiers), classes },
      issue,
    );
    const embeddings = g.cache?.embeddings;
    if (embeddings !== undefined && (!groups.includes(embeddings) || embeddings === group)) {
      issue(
        ['model_groups', group, 'cache', 'embeddings'],
        `unknown model group ${embeddings}; expected a group that serves embeddings, one of ${list(groups.filter((x) => x !== group))}`,
      );
    }
    checkCrossings(config.model_groups, group, issue);
  }
  for (const [tier, t] of Object.entries(config.tiers)) {
    if (t.priority !== undefined && !classes.includes(t.priority)) {
      issue(['tiers', tier, 'priority'], `unknown priority ${t.priority}; expected one of ${list(classes)}`);
    }
  }
  const tenantIds = new Set<string>();
  config.tenants.forEach((t, i) => {
    if (tenantIds.has(t.id)) issue(['tenants', i, 'id'], `tenant id ${t.id} is used twice`);
    tenantIds.add(t.id);
    if (t.tier !== undefined && !(t.tier in config.tiers)) {
      issue(
        ['tenants', i, 'tier'],
        `unknown tier ${t.tier}; expected one of ${list(Object.keys(config.tiers))}`,
      );
    }
    (t.model_groups ?? []).forEach((g, j) => {
      if (!groups.includes(g))
        issue(['tenants', i, 'model_groups', j], `unknown model group ${g}; expected one of ${list(groups)}`);
    });
  });
}

/** A group's mitigation names tiers and classes that exist, and downgrades only where it has a group to go to. */
function checkMitigation(
  g: z.output<typeof modelGroupSchema>,
  at: (string | number)[],
  known: { tiers: readonly string[]; classes: readonly string[] },
  issue: Issue,
): void {
  const m = g.mitigation;
  if (!m) return;
  const names = (list: readonly string[]) => list.join(', ') || '(none)';
  const check = (values: readonly string[], path: string[], allowed: readonly string[], what: string) =>
    values.forEach((v, i) => {
      if (!allowed.includes(v))
        issue([...at, ...path, i], `unknown ${what} ${v}; expected one of ${names(allowed)}`);
    });
  if (m.downgrade) {
    check(m.downgrade.tiers, ['downgrade', 'tiers'], known.tiers, 'tier');
    if (!g.downgrade)
      issue([...at, 'downgrade'], "needs the group's `downgrade.to`: the group its calls go to");
  }
  if (m.tighten) check(m.tighten.tiers, ['tighten', 'tiers'], known.tiers, 'tier');
  if (m.clamp_max_tokens)
    check(m.clamp_max_tokens.classes, ['clamp_max_tokens', 'classes'], known.classes, 'priority');
  if (m.pause) check(m.pause.classes, ['pause', 'classes'], known.classes, 'priority');
}

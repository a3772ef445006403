/**
 * The gateway's configuration, declared once (STYLE.md rule 9): this zod
 * schema is the YAML format (snake_case), the TypeScript types and the error
 * messages. Every object is strict: an unknown key is an error, so a typo
 * (`tmp:` for `tpm:`) never silently turns a limit off. Cross-references
 * (tiers, pools, fallbacks, priorities) are checked here too, so a bad file
 * is refused with a message naming the key instead of failing deep inside
 * the runtime.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const positive = z.number().positive().finite();
const nonNegative = z.number().nonnegative().finite();
const positiveInt = z.number().int().positive();
const name = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, "may only use letters, digits, '.', '_' and '-'")
  .min(1);

/** Rate limits of one scope; the names match `LIMIT_NAMES` of the runtime. */
const limitFields = {
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
  /** Per-day limits: rolling 24 h (default) or reset at 00:00 UTC. */
  day: z.enum(['rolling', 'calendar']).optional(),
};
export const limitsSchema = z.strictObject(limitFields);
export type LimitsInput = z.infer<typeof limitsSchema>;

export const PROVIDERS = ['openai', 'azure', 'anthropic', 'gemini', 'openai-compatible'] as const;

const deploymentSchema = z.strictObject({
  id: name,
  provider: z.enum(PROVIDERS),
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** Sent upstream instead of anything the caller sent. Use `${ENV_VAR}`. */
  api_key: z.string().min(1).optional(),
  model: z.string().min(1),
  limits: limitsSchema.optional(),
  pools: z.array(name).optional(),
  weight: positive.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  learn_limits: z.boolean().optional(),
  /** Tenants' betas (`anthropic-beta`, `openai-beta`) passed on: `true` all, a list the named ones; default none. */
  forward_betas: z.union([z.boolean(), z.array(z.string().min(1))]).optional(),
});

const modelGroupSchema = z.strictObject({
  deployments: z.array(deploymentSchema).min(1, 'a model group needs at least one deployment'),
  fallbacks: z.array(z.string()).optional(),
  downgrade: z.strictObject({ to: z.string(), when_headroom_below: z.number().min(0).max(1) }).optional(),
});

const tierSchema = z.strictObject({
  ...limitFields,
  /** Highest priority class the tier's requests may use. */
  priority: z.string().optional(),
  /** Longest a request may wait for admission before it is refused. */
  max_wait_ms: nonNegative.optional(),
  /** Fair-share weight inside a priority class. */
  weight: positive.optional(),
  /** Anthropic count_tokens calls per minute, a budget of their own (default: the tier's `rpm`). */
  count_tokens_rpm: positive.optional(),
});

const tenantSchema = z
  .strictObject({
    id: name,
    /** The gateway key the tenant sends (`Authorization: Bearer …` or `x-api-key`). Use `${ENV_VAR}`. */
    key: z.string().min(8, 'a tenant key needs at least 8 characters').optional(),
    /** Or only its SHA-256, hex: the key itself then never appears in config. */
    key_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (the SHA-256 of the key)')
      .optional(),
    tier: z.string().optional(),
    weight: positive.optional(),
    model_groups: z.array(z.string()).optional(),
  })
  .refine((t) => (t.key === undefined) !== (t.key_sha256 === undefined), {
    message: 'a tenant needs exactly one of key or key_sha256',
  });

/** The key that opens the dashboard's admin API (`/admin/v1/*`); without one that API is off. */
const adminSchema = z
  .strictObject({
    /** Use `${SLUICE_ADMIN_KEY}`. */
    key: z.string().min(16, 'an admin key needs at least 16 characters').optional(),
    /** Or only its SHA-256, hex: the key itself then never appears in config. */
    key_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (the SHA-256 of the key)')
      .optional(),
  })
  .refine((a) => (a.key === undefined) !== (a.key_sha256 === undefined), {
    message: 'admin needs exactly one of key or key_sha256',
  });

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

const storeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('memory') }),
  redisStoreSchema,
]);

/** Next to the API's default 8787. */
export const DEFAULT_METRICS_PORT = 8788;

export const DEFAULT_PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;

const baseSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8787),
    })
    .prefault({}),
  store: storeSchema.default({ kind: 'memory' }),
  /** Share of every limit never handed out. */
  safety_margin: z.number().min(0).lt(1).default(0.1),
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
    })
    .optional(),
  pools: z.record(name, limitsSchema).default({}),
  model_groups: z.record(name, modelGroupSchema).refine((g) => Object.keys(g).length > 0, {
    message: 'declare at least one model group',
  }),
  tiers: z.record(name, tierSchema).default({}),
  tenants: z.array(tenantSchema).min(1, 'declare at least one tenant'),
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
    })
    .optional()
    .refine(
      (c) => c?.first_open_ms === undefined || c.open_ms === undefined || c.first_open_ms <= c.open_ms,
      {
        message: 'first_open_ms must not be longer than open_ms',
        path: ['first_open_ms'],
      },
    ),
  server: z
    .strictObject({
      /** Largest request body accepted (413 above). */
      max_body_bytes: positiveInt.default(10 * 1024 * 1024),
      /** A client must send its request headers within this long. */
      headers_timeout_ms: positiveInt.default(30_000),
      /** … and its whole request within this long (slow clients). */
      request_timeout_ms: positiveInt.default(60_000),
      /** A connection idle this long is closed (a client that stops reading a stream). */
      idle_timeout_ms: positiveInt.default(600_000),
      keep_alive_timeout_ms: positiveInt.default(65_000),
      /** SIGTERM: in-flight requests get this long to finish before connections are cut. */
      drain_timeout_ms: nonNegative.default(30_000),
      /** Name the deployment that served each answer in `x-sluice-deployment` (an internal name: off by default). */
      deployment_header: z.boolean().default(false),
    })
    .prefault({})
    .refine((server) => server.headers_timeout_ms <= server.request_timeout_ms, {
      message: 'headers_timeout_ms must not be longer than request_timeout_ms',
    }),
  upstream: z
    .strictObject({
      connect_timeout_ms: positiveInt.default(10_000),
      /** Until the response headers arrive (a non-streamed completion sends them at the end). */
      headers_timeout_ms: positiveInt.default(600_000),
      /** Longest silence between two body chunks. */
      body_timeout_ms: positiveInt.default(300_000),
      /** Keep-alive connections per upstream origin. */
      connections: positiveInt.default(256),
      keep_alive_timeout_ms: positiveInt.default(30_000),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      /** Utilization (share of usable capacity) that raises a warning. */
      warn: z.number().gt(0).max(1).default(0.8),
      /** Utilization that calls for action. */
      act: z.number().gt(0).max(1).default(0.9),
      /** How often bucket utilization is read. */
      interval_ms: positiveInt.default(5_000),
    })
    .prefault({})
    .refine((a) => a.act >= a.warn, { message: 'act must be at least warn' }),
  admin: adminSchema.optional(),
  /**
   * Prometheus exposition. Never on the tenant port: it names every tenant
   * with its usage, and each scrape costs the event loop about a millisecond.
   */
  metrics: z
    .strictObject({
      /** false: no metrics listener at all. */
      enabled: z.boolean().default(true),
      /** Its own listener; loopback by default, where a local Prometheus agent scrapes it. */
      listen: z
        .strictObject({
          host: z.string().min(1).default('127.0.0.1'),
          port: z.number().int().min(0).max(65_535).default(DEFAULT_METRICS_PORT),
        })
        .prefault({}),
      /** When set, scrapers must send `Authorization: Bearer <token>` (Prometheus: `authorization.credentials`). Use `${ENV_VAR}`. */
      token: z.string().min(16, 'a metrics token needs at least 16 characters').optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** One line per request. */
      requests: z.boolean().default(true),
    })
    .prefault({}),
});

export const gatewayConfigSchema = baseSchema.superRefine(checkReferences);

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type DeploymentInput = z.output<typeof deploymentSchema>;
export type TenantInput = z.output<typeof tenantSchema>;
export type TierInput = z.output<typeof tierSchema>;
export type StoreConfig = GatewayConfig['store'];

/** Names used in one place must be declared in another. */
function checkReferences(config: z.output<typeof baseSchema>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const classes: readonly string[] = config.priorities ?? DEFAULT_PRIORITIES;
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
    const anthropic = g.deployments.filter((d) => d.provider === 'anthropic').length;
    if (anthropic > 0 && anthropic < g.deployments.length) {
      issue(
        ['model_groups', group, 'deployments'],
        'a group cannot mix anthropic with OpenAI-style providers (Sluice routes, it does not translate)',
      );
    }
  }
  for (const [tier, t] of Object.entries(config.tiers)) {
    if (t.priority !== undefined && !classes.includes(t.priority)) {
      issue(['tiers', tier, 'priority'], `unknown priority ${t.priority}; expected one of ${list(classes)}`);
    }
  }
  const tenantIds = new Set<string>();
  const keys = new Set<string>();
  config.tenants.forEach((t, i) => {
    if (tenantIds.has(t.id)) issue(['tenants', i, 'id'], `tenant id ${t.id} is used twice`);
    tenantIds.add(t.id);
    const key = t.key !== undefined ? sha256Hex(t.key) : t.key_sha256?.toLowerCase();
    if (key !== undefined) {
      if (keys.has(key))
        issue(['tenants', i, t.key ? 'key' : 'key_sha256'], 'this key is already given to another tenant');
      keys.add(key);
    }
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
  // Whoever holds a tenant key would read every tenant's usage.
  const metricsToken = config.metrics.token;
  if (metricsToken !== undefined && keys.has(sha256Hex(metricsToken)))
    issue(['metrics', 'token'], 'the metrics token must not be a tenant key');
  const admin = config.admin;
  const adminKey = admin?.key !== undefined ? sha256Hex(admin.key) : admin?.key_sha256?.toLowerCase();
  // A tenant holding the admin key would see every other tenant's usage.
  if (adminKey !== undefined && keys.has(adminKey))
    issue(
      ['admin', admin?.key !== undefined ? 'key' : 'key_sha256'],
      'the admin key must not be a tenant key',
    );
}

function sha256Hex(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

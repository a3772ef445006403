/**
 * The gateway's configuration: the governor's fields (config/governor-schema.ts,
 * shared with the library) plus what only a server has — tenants' keys,
 * listeners, timeouts, alerts, the admin key, metrics and logging. The zod
 * schema is the YAML format, the TypeScript types and the error messages;
 * every object is strict, so a typo is an error naming its key.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import {
  alertsFields,
  checkGovernorReferences,
  governorFields,
  type Issue,
  nonNegative,
  positiveInt,
  tenantFields,
} from '../../config/governor-schema.js';

export { DEFAULT_PRIORITIES, limitsSchema, PROVIDERS } from '../../config/governor-schema.js';

const tenantSchema = z
  .strictObject({
    ...tenantFields,
    /** The gateway key the tenant sends (`Authorization: Bearer …` or `x-api-key`). Use `${ENV_VAR}`. */
    key: z.string().min(8, 'a tenant key needs at least 8 characters').optional(),
    /** Or only its SHA-256, hex: the key itself then never appears in config. */
    key_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (the SHA-256 of the key)')
      .optional(),
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

/** Next to the API's default 8787. */
export const DEFAULT_METRICS_PORT = 8788;
/** More processes than this on one port is a typo, not a machine. */
export const MAX_WORKERS = 256;

/** A count of processes, or `auto`: resolved here so the rest of the program reads a number. */
const workersSchema = z
  .union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)], {
    error: `expected a whole number of processes from 1 to ${MAX_WORKERS}, or "auto" (one per core)`,
  })
  .transform((workers) => (workers === 'auto' ? availableParallelism() : workers));

/**
 * The background lane (`/v1/files`, `/v1/batches`, `/v1/messages/batches`):
 * absent or `enabled: false`, those paths answer 404.
 */
const batchesSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** 200 MiB: OpenAI's per-file cap for batch input. */
  max_file_bytes: positiveInt.default(200 * 1024 * 1024),
  /** Lines per batch (OpenAI's cap). */
  max_lines: positiveInt.default(50_000),
  /** A claimed line is taken up again after this (its instance died). */
  line_lease_ms: positiveInt.default(60_000),
  /** Lines in flight per instance (drain). */
  concurrency: positiveInt.default(32),
  /** Background calls leave this share of every bucket free for interactive traffic. */
  headroom: z.number().min(0).lt(1).default(0.2),
  /** … but always get at least this share of the group's request rate. */
  min_share: z.number().min(0).max(1).default(0.05),
  /** Forward mode: how often provider batches are polled. */
  poll_ms: positiveInt.default(10_000),
});

export type BatchesConfig = z.output<typeof batchesSchema>;

/** Where alert level changes are POSTed (`gateway/alerts/alert-webhooks.ts`). */
const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** Signs each POST: `x-sluice-signature: t=<unix seconds>,v1=<HMAC-SHA256 hex of "t.body">`. */
  secret: z.string().min(1).optional(),
  /** `json` (Sluice's event) or `slack` (an incoming-webhook body: `text` and `blocks`). */
  format: z.enum(['json', 'slack']).default('json'),
  timeout_ms: positiveInt.default(5_000),
  max_attempts: positiveInt.max(20).default(5),
});

const gatewayAlertsSchema = z
  .strictObject({ ...alertsFields, webhooks: z.array(webhookSchema).default([]) })
  .prefault({})
  .refine((a) => a.act >= a.warn, { message: 'act must be at least warn' });

const baseSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8787),
    })
    .prefault({}),
  ...governorFields,
  alerts: gatewayAlertsSchema,
  /** Where the gateway keeps what outlives a process (batch files); default `sluice-data` beside the config file. */
  data_dir: z.string().min(1).optional(),
  /** On by default: the batch and file APIs answer unless `enabled: false`. */
  batches: batchesSchema.prefault({}),
  /**
   * A week of per-minute history per bucket and tenant (`src/history/`), in
   * the store's Redis or under `data_dir/history`: what `sluice report`,
   * `sluice plan --from-history` and the dashboard's long views read.
   */
  history: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Days of records kept (default 7: a week to review). */
      retention_days: z.number().int().min(1).max(31).default(7),
    })
    .prefault({}),
  tenants: z.array(tenantSchema).min(1, 'declare at least one tenant'),
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
      /**
       * Processes serving the one port (`node:cluster`), sharing the limits:
       * `auto` is one per core (`os.availableParallelism()`); 1 runs no cluster.
       */
      workers: workersSchema.default(1),
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
export type TenantInput = z.output<typeof tenantSchema>;
export type { DeploymentInput, LimitsInput, StoreConfig, TierInput } from '../../config/governor-schema.js';

/** The governor's references, and keys: each given once, never also the admin key or the metrics token. */
function checkReferences(config: z.output<typeof baseSchema>, ctx: z.RefinementCtx): void {
  const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  checkGovernorReferences(config, issue);
  const keys = new Set<string>();
  config.tenants.forEach((t, i) => {
    const key = t.key !== undefined ? sha256Hex(t.key) : t.key_sha256?.toLowerCase();
    if (key === undefined) return;
    if (keys.has(key))
      issue(['tenants', i, t.key ? 'key' : 'key_sha256'], 'this key is already given to another tenant');
    keys.add(key);
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

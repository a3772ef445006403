/**
 * `sluice serve` in its own process, configured from the scenario like the
 * library target (one deployment with the provider's limits, the scenario's
 * tiers and tenants), each tenant with its own gateway key. The gateway
 * says each request's queue wait and retries in its request log (one JSON
 * line per request on stdout); those lines are matched back to the requests
 * by tenant, class, status and prompt tokens when the run ends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBatchLoad } from '../batch/batch-load.js';
import { PRIMING_TENANT } from '../prime.js';
import { BENCH_API_KEY, type ProviderKey } from '../provider.js';
import { cacheOutcomeOf, type RequestRecord } from '../record.js';
import { type Scenario, SINGLE_KEY, tenantWeight } from '../scenario.js';
import { cacheSideGroups, cacheText, type GroupCacheYaml, groupCache } from './cache-groups.js';
import { type BenchDeployment, benchDeployments, deploymentsText } from './deployments.js';
import { type ChildServer, freePort, waitUntilUp } from './process.js';
import { startRedisProcess } from './redis-process.js';
import { callSdk, sdkClient } from './sdk-call.js';
import { startSluice } from './sluice-process.js';
import { type BenchTarget, type TargetEnv, TargetUnavailableError } from './target.js';

const NO_TIER = 'bench-default';

export interface GatewayProcessOptions {
  readonly providerBaseUrl: string;
  /** The key and limits of a single deployment (when `keys` is not given). */
  readonly providerApiKey?: string;
  readonly limits?: { rpm?: number; tpm?: number };
  /** One deployment per key, each with its own limits (a scenario's keys). */
  readonly keys?: readonly ProviderKey[];
  readonly model: string;
  readonly safetyMargin?: number;
  readonly tiers?: Record<string, { weight: number }>;
  readonly tenants?: readonly { name: string; tier: string; weight: number }[];
  /** One JSON request-log line per request, when set. */
  readonly onLogLine?: (line: string) => void;
  /** A response cache on the model group. */
  readonly cache?: GroupCacheYaml;
  /** Model groups beside it (a semantic cache's embeddings group). */
  readonly sideGroups?: Record<string, { deployments: BenchDeployment[] }>;
  /** The background lane's settings (`batches:`); Sluice's defaults when unset. */
  readonly batches?: Readonly<Record<string, number>>;
  /** Where the gateway keeps batch files (`data_dir`); default beside its config file. */
  readonly dataDir?: string;
  /** Redis shared with other instances (default: the memory store, one process). */
  readonly redis?: { readonly url: string; readonly instances: number; readonly clusterOrder?: boolean };
}

export interface GatewayProcess {
  readonly url: string;
  /** Each tenant's gateway key. */
  readonly keys: Record<string, string>;
  /** Headers a client sends when it is one anonymous tenant (the proxy-cost run). */
  readonly headers: Record<string, string>;
  readonly server: ChildServer;
}

export function tenantKey(tenant: string): string {
  return `sk-bench-tenant-${tenant}`;
}

/** The gateway's YAML configuration for a bench. */
export function gatewayConfig(options: GatewayProcessOptions, port: number): Record<string, unknown> {
  const tenants = [...(options.tenants ?? []), { name: PRIMING_TENANT, tier: NO_TIER, weight: 1 }];
  const tiers: Record<string, Record<string, unknown>> = { [NO_TIER]: { priority: 'critical' } };
  for (const [name, tier] of Object.entries(options.tiers ?? {})) {
    tiers[name] = { priority: 'critical', weight: tier.weight };
  }
  return {
    listen: { host: '127.0.0.1', port },
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
    store: options.redis
      ? {
          kind: 'redis',
          url: options.redis.url,
          prefix: 'bench',
          expected_instances: options.redis.instances,
        }
      : { kind: 'memory' },
    ...(options.redis && { queue: { cluster: { enabled: options.redis.clusterOrder ?? true } } }),
    safety_margin: options.safetyMargin ?? 0.03,
    ...(options.dataDir && { data_dir: options.dataDir }),
    ...(options.batches && { batches: options.batches }),
    model_groups: {
      [options.model]: {
        deployments: benchDeployments({
          baseUrl: options.providerBaseUrl,
          model: options.model,
          keys: options.keys ?? [
            {
              name: SINGLE_KEY,
              apiKey: options.providerApiKey ?? BENCH_API_KEY,
              limits: options.limits ?? {},
            },
          ],
          loneKey: true,
        }),
        ...(options.cache ? { cache: options.cache } : {}),
      },
      ...options.sideGroups,
    },
    tiers,
    tenants: tenants.map((t) => ({ id: t.name, key: tenantKey(t.name), tier: t.tier, weight: t.weight })),
    log: { level: 'info', requests: options.onLogLine !== undefined },
  };
}

export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-gateway-'));
  const file = join(dir, 'sluice.yaml');
  await writeFile(file, stringify(gatewayConfig(options, port)));
  const server = startSluice(['serve', '--config', file], { onLine: options.onLogLine });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(`${url}/v1/models`, server);
  } catch (error) {
    await server.stop();
    throw new TargetUnavailableError(`\`sluice serve\` did not start: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  const keys = Object.fromEntries(
    [...(options.tenants ?? []).map((t) => t.name), PRIMING_TENANT].map((t) => [t, tenantKey(t)]),
  );
  return { url, keys, headers: { authorization: `Bearer ${tenantKey(PRIMING_TENANT)}` }, server };
}

interface LogLine {
  readonly tenant?: string;
  readonly priority?: string;
  readonly status?: number;
  readonly wait_ms?: number;
  readonly duration_ms?: number;
  readonly input_tokens?: number;
  readonly retries?: number;
  readonly refusal?: string;
}

function parseLogLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as LogLine & { msg?: string };
    return value.msg === 'request' && typeof value.status === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Gives each request the wait and retries its log line reports. A served
 * request matches by tenant, class, status and prompt tokens; a refused one
 * by tenant, class and status, in order (their waits are alike).
 */
export function attachLogLines(records: readonly RequestRecord[], lines: readonly LogLine[]): number {
  const open = new Map<string, RequestRecord[]>();
  const keyOf = (tenant: string, priority: string, status: number, tokens: number | undefined) =>
    `${tenant}|${priority}|${status}|${status === 200 ? tokens : ''}`;
  for (const r of records) {
    if (r.status === undefined) continue;
    const key = keyOf(r.plan.tenant, r.plan.priority, r.status, r.inputTokens);
    open.set(key, [...(open.get(key) ?? []), r]);
  }
  let matched = 0;
  for (const line of lines) {
    if (!line.tenant || !line.priority || line.status === undefined) continue;
    const key = keyOf(line.tenant, line.priority, line.status, line.input_tokens);
    const record = open.get(key)?.shift();
    if (!record) continue;
    const wait = line.wait_ms ?? (line.refusal ? line.duration_ms : undefined);
    if (wait !== undefined) record.waits.push({ start: record.firedAt, end: record.firedAt + wait });
    record.targetRetries += line.retries ?? 0;
    matched++;
  }
  return matched;
}

export async function gatewayTarget(env: TargetEnv): Promise<BenchTarget> {
  const scenario: Scenario = env.scenario;
  const instances = scenario.sluice.instances;
  const lines: LogLine[] = [];
  const redis = instances > 1 ? await startRedisProcess() : undefined;
  const batch = scenario.batch;
  // The config file's folder is removed once the gateway is up, so batch files live in a folder of their own.
  const dataDir = batch ? await mkdtemp(join(tmpdir(), 'sluice-bench-data-')) : undefined;
  const options: GatewayProcessOptions = {
    providerBaseUrl: env.providerBaseUrl,
    keys: env.keys,
    model: scenario.model,
    safetyMargin: scenario.sluice.safety_margin,
    tiers: scenario.tiers,
    tenants: [
      ...scenario.tenants.map((t) => ({
        name: t.name,
        tier: t.tier ?? NO_TIER,
        weight: tenantWeight(scenario, t),
      })),
      ...(batch ? [{ name: batch.tenant, tier: NO_TIER, weight: 1 }] : []),
    ],
    dataDir,
    batches: scenario.sluice.batches,
    onLogLine(raw) {
      const line = parseLogLine(raw);
      if (line) lines.push(line);
    },
    cache: groupCache(scenario),
    sideGroups: cacheSideGroups(scenario, { baseUrl: env.providerBaseUrl, keys: env.keys }),
    ...(redis && { redis: { url: redis.url, instances, clusterOrder: scenario.sluice.cluster_order } }),
  };
  let gateways: GatewayProcess[];
  try {
    gateways = await Promise.all(Array.from({ length: instances }, () => startGatewayProcess(options)));
  } catch (error) {
    await redis?.server.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  /** Per instance, each tenant's SDK client. */
  const clients: Map<string, Awaited<ReturnType<typeof sdkClient>>>[] = [];
  for (const gateway of gateways) {
    const byTenant = new Map<string, Awaited<ReturnType<typeof sdkClient>>>();
    for (const [tenant, key] of Object.entries(gateway.keys)) {
      byTenant.set(
        tenant,
        await sdkClient({
          baseURL: `${gateway.url}/v1`,
          apiKey: key,
          maxRetries: 0,
          onResponse: (headers, record) => {
            record.cache = cacheOutcomeOf(headers);
          },
        }),
      );
    }
    clients.push(byTenant);
  }
  const pinned = new Map(scenario.tenants.map((t) => [t.name, t.instance]));
  let next = 0;
  const sent: RequestRecord[] = [];
  const order = scenario.sluice.cluster_order ? 'one cluster-wide order' : 'each queue on its own';
  const spread =
    instances > 1 ? `, ${instances} instances sharing one Redis (clients spread over them; ${order})` : '';
  return {
    name: 'gateway',
    description: `openai SDK (maxRetries 0: the gateway retries) → \`sluice serve\` (own process${instances > 1 ? 'es' : ''}), one key per tenant; ${deploymentsText(env.keys)}, safety margin ${scenario.sluice.safety_margin}${cacheText(scenario)}${spread}`,
    send: (record, signal) => {
      sent.push(record);
      // A tenant pinned to an instance enters there; the others' calls take turns over all of them.
      const instance = pinned.get(record.plan.tenant) ?? next++ % instances;
      const client = clients[instance]?.get(record.plan.tenant);
      if (!client) throw new Error(`no gateway key for tenant ${record.plan.tenant}`);
      return callSdk(client, record, { model: scenario.model, signal, now: env.now });
    },
    async close() {
      // The gateway's logger is buffered: give the last lines a moment.
      await new Promise((r) => setTimeout(r, 500));
      await Promise.all(gateways.map((g) => g.server.stop()));
      await redis?.server.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
      attachLogLines(sent, lines);
    },
    ...(batch && {
      startBatch: () =>
        startBatchLoad({
          baseURL: `${(gateways[0] as GatewayProcess).url}/v1`,
          apiKey: tenantKey(batch.tenant),
          model: scenario.model,
          batch,
          now: env.now,
        }),
    }),
  };
}

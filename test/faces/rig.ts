/**
 * The parity rig: one topology built twice, behind the gateway and behind
 * `governor.fetch`, each over its own simulator (so fault schedules and
 * upstream buckets start equal), with the official SDKs as the clients. A
 * case runs the same request through both faces and reads back what a
 * client acts on (`Seen`): status, error code and type, `Retry-After`,
 * `x-should-retry`, the tenant's budget headers, the request id.
 *
 * Tenants are the same on both faces: the gateway knows each by its key
 * (`keyOf(id)`), the library by `x-sluice-tenant`.
 */

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { expect } from 'vitest';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { LibraryConfigInput } from '../../src/library/config.js';
import { createGovernor } from '../../src/library/create-governor.js';
import type { Governor } from '../../src/runtime/governor.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';
import { memoryLogger, simAnthropicDeployment } from '../gateway/helpers.js';
import { startTestGateway } from '../gateway/test-gateway.js';

export type FaceName = 'gateway' | 'library';
export const FACES: readonly FaceName[] = ['gateway', 'library'];

export interface TenantSpec {
  readonly id: string;
  readonly tier?: string;
  readonly model_groups?: string[];
}

/** The governor's fields, as both faces take them (the YAML's names). */
export type SharedConfig = Omit<
  LibraryConfigInput,
  'tenants' | 'unknown_tenants' | 'undeclared_models' | 'forwarding'
>;

export interface Topology {
  readonly sim?: SimulatorOptions;
  /** Replaces top-level keys of `baseConfig` (given the simulator's URL). */
  readonly config?: (simUrl: string) => Partial<SharedConfig>;
  readonly tenants?: readonly TenantSpec[];
}

export interface Face {
  readonly name: FaceName;
  readonly sim: Simulator;
  readonly governor: Governor;
  /** The gateway's request log lines; the library writes none. */
  readonly logs: Record<string, unknown>[];
  openai(tenant?: string): OpenAI;
  anthropic(tenant?: string): Anthropic;
  /** A plain `fetch` of an OpenAI path as `tenant` (the face's own fetch for the library). */
  fetch(path: string, init: RequestInit, tenant?: string): Promise<Response>;
  close(): Promise<void>;
}

export const TENANT = 'acme';

/** A gateway key per tenant id (the gateway wants at least 8 characters). */
export function keyOf(tenant: string): string {
  return `sk-parity-${tenant}`;
}

/**
 * `gpt-4o-mini` and `gpt-4o` (OpenAI) and `claude-haiku` (Anthropic) on the
 * simulator; one tier with a per-minute budget, so answers carry the
 * tenant's budget headers; retries without backoff, so no case sleeps.
 */
export function baseConfig(simUrl: string): SharedConfig {
  const openai = (id: string, model: string) => ({
    id,
    provider: 'openai' as const,
    base_url: `${simUrl}/v1`,
    api_key: 'sk-upstream',
    model,
  });
  return {
    model_groups: {
      'gpt-4o-mini': { deployments: [openai('sim-mini', 'gpt-4o-mini')] },
      'gpt-4o': { deployments: [openai('sim-4o', 'gpt-4o')] },
      'claude-haiku': { deployments: [simAnthropicDeployment(simUrl)] },
    },
    tiers: { standard: { rpm: 600, tpm: 1_000_000, max_wait_ms: 5_000 } },
    retry: { base_ms: 0, cap_ms: 0 },
  };
}

const DEFAULT_TENANTS: readonly TenantSpec[] = [{ id: TENANT, tier: 'standard' }];

export async function startFace(name: FaceName, topology: Topology = {}): Promise<Face> {
  const sim = await startSimulator({ response: { mode: 'lorem', tokens: 8 }, ...topology.sim });
  const shared: SharedConfig = { ...baseConfig(sim.url), ...topology.config?.(sim.url) };
  const tenants = (topology.tenants ?? DEFAULT_TENANTS).map((t) => ({ ...t }));
  try {
    return name === 'gateway' ? await gatewayFace(sim, shared, tenants) : libraryFace(sim, shared, tenants);
  } catch (error) {
    await sim.close();
    throw error;
  }
}

async function gatewayFace(sim: Simulator, shared: SharedConfig, tenants: TenantSpec[]): Promise<Face> {
  const input: GatewayConfigInput = {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { enabled: false },
    ...shared,
    tenants: tenants.map((t) => ({ ...t, key: keyOf(t.id) })),
  };
  const logs: Record<string, unknown>[] = [];
  const gateway = await startTestGateway({
    config: parseConfig(input, 'parity config', {}),
    logger: memoryLogger(logs),
    storeReadyTimeoutMs: 200,
  });
  return {
    name: 'gateway',
    sim,
    governor: gateway.governor,
    logs,
    openai: (tenant = TENANT) =>
      new OpenAI({ apiKey: keyOf(tenant), baseURL: `${gateway.url}/v1`, maxRetries: 0 }),
    anthropic: (tenant = TENANT) =>
      new Anthropic({ apiKey: keyOf(tenant), baseURL: gateway.url, maxRetries: 0 }),
    fetch: (path, init, tenant = TENANT) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${keyOf(tenant)}`);
      return fetch(`${gateway.url}${path}`, { ...init, headers });
    },
    async close() {
      await gateway.close({ timeoutMs: 1_000 });
      await sim.close();
    },
  };
}

function libraryFace(sim: Simulator, shared: SharedConfig, tenants: TenantSpec[]): Face {
  const g = createGovernor({ ...shared, tenants });
  const named = (tenant: string) => ({ 'x-sluice-tenant': tenant });
  return {
    name: 'library',
    sim,
    governor: g.governor,
    logs: [],
    openai: (tenant = TENANT) =>
      new OpenAI({
        apiKey: 'sk-app',
        baseURL: `${sim.url}/v1`,
        fetch: g.fetch,
        maxRetries: 0,
        defaultHeaders: named(tenant),
      }),
    anthropic: (tenant = TENANT) =>
      new Anthropic({
        apiKey: 'sk-app',
        baseURL: sim.url,
        fetch: g.fetch,
        maxRetries: 0,
        defaultHeaders: named(tenant),
      }),
    fetch: (path, init, tenant = TENANT) => {
      const headers = new Headers(init.headers);
      headers.set('x-sluice-tenant', tenant);
      return g.fetch(`${sim.url}${path}`, { ...init, headers });
    },
    async close() {
      await g.close();
      await sim.close();
    },
  };
}

/** What a client acts on, read from an SDK's answer or error. */
export interface Seen {
  /** HTTP status, or `aborted` when the SDK raised its own abort error (nothing was answered). */
  readonly status: number | 'aborted';
  /** The SDK's error class, e.g. `RateLimitError`, `APIUserAbortError`; null on success. */
  readonly error: string | null;
  readonly refusal: string | null;
  /** OpenAI's `error.code` (Anthropic has none). */
  readonly code: string | null;
  /** OpenAI's `error.type`, Anthropic's `error.type`. */
  readonly type: string | null;
  readonly retryAfterS: number | null;
  readonly shouldRetry: string | null;
  /** The tenant budget lines sent (`x-ratelimit-limit-*` with its `-remaining-*`), e.g. `requests,tokens`. */
  readonly budget: string | null;
  /** `x-sluice-request-id`. */
  readonly requestId: string | null;
  /** The id the SDK reports (`x-request-id` / `request-id`). */
  readonly sdkRequestId: string | null;
  readonly contentType: string | null;
  /** Every header name but the transport's own framing (sorted). */
  readonly headerNames: string;
  /** What a case reads from the body (chunks, usage). */
  readonly extra?: Record<string, unknown>;
}

function seenOfHeaders(status: number | 'aborted', headers: Headers | undefined) {
  const get = (name: string) => headers?.get(name) ?? null;
  const retryAfter = get('retry-after');
  return {
    status,
    refusal: get('x-sluice-refusal'),
    retryAfterS: retryAfter === null ? null : Number(retryAfter),
    shouldRetry: get('x-should-retry'),
    budget: budgetLines(headers),
    requestId: get('x-sluice-request-id'),
    contentType: get('content-type'),
    headerNames: [...(headers?.keys() ?? [])].filter((name) => !FRAMING.has(name)).join(' '),
  };
}

/** Headers of the connection, not of the answer: a face may frame its answer its own way. */
const FRAMING = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding']);

function budgetLines(headers: Headers | undefined): string | null {
  const lines = ['requests', 'tokens'].filter(
    (what) =>
      headers?.get(`x-ratelimit-limit-${what}`) != null &&
      headers?.get(`x-ratelimit-remaining-${what}`) != null,
  );
  return lines.length > 0 ? lines.join(',') : null;
}

/** A success: the response an SDK's `.withResponse()` gave, and what the case read from the body. */
export function seenOfResponse(
  response: Response,
  sdkRequestId: string | null | undefined,
  extra?: Record<string, unknown>,
): Seen {
  return {
    ...seenOfHeaders(response.status, response.headers),
    error: null,
    code: null,
    type: null,
    sdkRequestId: sdkRequestId ?? null,
    ...(extra && { extra }),
  };
}

/** A plain `fetch`'s answer: headers, and the error body's code and type when it is one. */
export async function seenOfFetch(response: Response, requestIdHeader = 'x-request-id'): Promise<Seen> {
  const body = (await response.json().catch(() => undefined)) as
    | { error?: { code?: string | null; type?: string } }
    | undefined;
  return {
    ...seenOfHeaders(response.status, response.headers),
    error: null,
    code: body?.error?.code ?? null,
    type: body?.error?.type ?? null,
    sdkRequestId: response.headers.get(requestIdHeader),
  };
}

/** An SDK error: its status and headers, or the SDK's abort. Anything else is rethrown. */
export function seenOfError(error: unknown): Seen {
  const name = error instanceof Error ? error.constructor.name : typeof error;
  if (error instanceof OpenAI.APIUserAbortError || error instanceof Anthropic.APIUserAbortError) {
    return {
      ...seenOfHeaders('aborted', undefined),
      error: name,
      code: null,
      type: null,
      sdkRequestId: null,
    };
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    return {
      ...seenOfHeaders(error.status, error.headers),
      error: name,
      code: error.code ?? null,
      type: error.type ?? null,
      sdkRequestId: error.requestID ?? null,
    };
  }
  if (error instanceof Anthropic.APIError && error.status !== undefined) {
    return {
      ...seenOfHeaders(error.status, error.headers),
      error: name,
      code: null,
      type: error.type ?? null,
      sdkRequestId: error.requestID ?? null,
    };
  }
  throw error;
}

/** Runs `call` and reads what the client saw, answer or error. */
export async function see(call: () => Promise<Seen>): Promise<Seen> {
  try {
    return await call();
  } catch (error) {
    return seenOfError(error);
  }
}

/**
 * Polls `condition` until it holds (the other side of a socket acts on its
 * own time); fails after `timeoutMs`, a liveness bound, not a timing
 * assertion.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  await expect
    .poll(condition, { timeout: timeoutMs, interval: 2, message: `waiting for ${what}` })
    .toBe(true);
}

/** Reservations the face's store holds now. */
export async function heldReservations(face: Face): Promise<number> {
  return (await face.governor.store.stats()).active;
}

export const hello = [{ role: 'user' as const, content: 'Hello there' }];

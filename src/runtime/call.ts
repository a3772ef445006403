/**
 * The contract between the governor and its two faces (library and
 * gateway): what a caller asks for (`Call`), how one attempt reaches the
 * upstream (`Transport`, `UpstreamReply`) and what comes back (`Outcome`).
 */
import type { Endpoint, HeaderLookup, ProviderError } from '../providers/adapter.js';
import type { Refusal } from './refusal.js';
import type { Settlement } from './settlement.js';
import type { TenantBudget } from './tenant-budget.js';
import type { Tenant } from './tenants.js';
import type { CallShape, UpstreamTarget } from './upstream-target.js';

export interface Call extends CallShape {
  /** The model group the caller asked for (body `model`, or Gemini's path). */
  readonly model: string | undefined;
  readonly tenant: string;
  readonly priority?: string | undefined;
  readonly maxWaitMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The caller accepts a cheaper model when the primary runs low on headroom. */
  readonly downgrade?: boolean | undefined;
}

/** What a transport returns for one attempt; the face keeps the body. */
export interface UpstreamReply {
  readonly status: number;
  readonly headers: HeaderLookup;
  /** Reads (at most `maxBytes` of) the body as text; used for error bodies only. */
  text(maxBytes: number): Promise<string>;
  /** Releases the body unread. */
  discard(): void;
}

export interface Transport<R extends UpstreamReply> {
  /** Sends one attempt; throws on a network-level failure. */
  send(target: UpstreamTarget, signal: AbortSignal | undefined): Promise<R>;
}

export type Outcome<R extends UpstreamReply> =
  | {
      readonly kind: 'success';
      readonly reply: R;
      readonly target: UpstreamTarget;
      /** Settle with the usage the body reports (exactly once; later calls are no-ops). */
      readonly settlement: Settlement;
      readonly group: string;
      readonly tenant: Tenant;
      readonly priority: string;
      readonly budget: TenantBudget;
      readonly attempts: number;
      readonly waitedMs: number;
    }
  | {
      readonly kind: 'upstream_error';
      readonly reply: R | undefined;
      readonly error: ProviderError;
      /** The upstream error body as received (relayed to the caller). */
      readonly bodyText: string;
      readonly target: UpstreamTarget;
      readonly tenant: Tenant;
      readonly priority: string;
      readonly attempts: number;
      /** The tenant's budget as the last attempt's admission left it. */
      readonly budget: TenantBudget | undefined;
    }
  | {
      readonly kind: 'refused';
      readonly refusal: Refusal;
      readonly tenant: Tenant | undefined;
      readonly priority: string | undefined;
      /** The tenant's budget when admission refused (undefined when no bucket was read). */
      readonly budget: TenantBudget | undefined;
      /** How long the call waited before it was refused. */
      readonly waitedMs: number;
    };

/** Whether a call streams: `stream: true` in the body, or Gemini's streaming endpoint (named by its path). */
export function streams(body: Record<string, unknown> | undefined, endpoint: Endpoint): boolean {
  return body?.stream === true || endpoint === 'stream_generate_content';
}

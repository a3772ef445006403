/**
 * What every request handler reads: the governor, the tenant keys and the
 * settings in force (a reload swaps `keys` and `settings`), the upstream
 * pools, logging and metrics, and the set of requests in flight (for drain
 * and the in-flight gauge).
 */
import type { BatchLane } from '../batches/batch-lane.js';
import type { Governor } from '../runtime/governor.js';
import type { TenantKeys } from './auth.js';
import type { BatchLaneHandle } from './batches/lane-handle.js';
import type { GatewayConfig } from './config/schema.js';
import type { GatewayLogger } from './logging.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayState } from './state.js';
import type { UpstreamPools } from './transport.js';

export interface RequestSettings {
  readonly maxBodyBytes: number;
  readonly logRequests: boolean;
  /** Answers name the deployment that served them (`x-sluice-deployment`); off by default. */
  readonly deploymentHeader: boolean;
}

/** The per-request settings of a config (at start and on every reload). */
export function requestSettings(config: GatewayConfig): RequestSettings {
  return {
    maxBodyBytes: config.server.max_body_bytes,
    logRequests: config.log.requests,
    deploymentHeader: config.server.deployment_header,
  };
}

/** A request the gateway is handling; drain can cut it when its time is up. */
export interface InFlight {
  /** Ends the request now (drain deadline): aborts upstream, settles, closes the client connection. */
  cut(reason: string): void;
}

export class GatewayContext {
  draining = false;
  /** Config loaded and store ready: `/readyz` says yes. */
  ready = false;
  readonly inFlight = new Set<InFlight>();
  metrics: GatewayMetrics | undefined;
  state: GatewayState | undefined;
  /** The background lane (batches), when `batches.enabled`. */
  lane: BatchLane | undefined;
  /** What the batch and file routes use of the lane (`/v1/files`, `/v1/batches`, `/v1/messages/batches`); undefined: they answer 404. */
  batches: BatchLaneHandle | undefined;

  constructor(
    readonly governor: Governor,
    public keys: TenantKeys,
    public settings: RequestSettings,
    readonly pools: UpstreamPools,
    readonly logger: GatewayLogger,
  ) {}
}

/**
 * A target is what the workload is replayed through: the official `openai`
 * SDK called directly, behind a client-side limiter, through Sluice's
 * library, or through a gateway. Every target sends the same requests and
 * fills in the same record.
 */
import type { BatchLoad } from '../batch/batch-load.js';
import type { ProviderKey } from '../provider.js';
import type { RequestRecord } from '../record.js';
import type { Scenario } from '../scenario.js';

export const TARGET_NAMES = ['direct', 'fallback', 'bottleneck', 'library', 'gateway', 'portkey'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface TargetEnv {
  readonly scenario: Scenario;
  /** The provider's OpenAI base URL, e.g. `http://127.0.0.1:5555/v1`. */
  readonly providerBaseUrl: string;
  /** The first key: what a client that knows one key sends with. */
  readonly apiKey: string;
  /** Every key of the scenario, in its order (one unless it declares several). */
  readonly keys: readonly ProviderKey[];
  /** ms since the run's start (the runner's clock). */
  readonly now: () => number;
}

export interface BenchTarget {
  readonly name: TargetName;
  /** One line on how it is set up (printed and kept in the JSON). */
  readonly description: string;
  /** The API keys it sends with, when not every key of the scenario (priming spends only these). */
  readonly sendsWith?: readonly string[];
  /** Sends one request and fills `record`; never rejects. */
  send(record: RequestRecord, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** Submits the scenario's batch (`batch:`) and follows it; only targets with a background lane (the gateway). */
  startBatch?(): Promise<BatchLoad>;
}

/** A target that could not be started says why, in words that go into the report. */
export class TargetUnavailableError extends Error {
  readonly code = 'target_unavailable';
}

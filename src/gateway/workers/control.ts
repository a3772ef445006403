/**
 * What the primary of `--workers N` tells its workers, and what they answer,
 * beside the store channel: reload the file, drain, send your metrics.
 */
import type { Registry } from 'prom-client';

/** One worker's registry as plain data. */
export type RegistryJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export const CONTROL_CHANNEL = 'sluice:control';

export type ToWorker =
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'reload' }
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'drain' }
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'metrics'; readonly id: number };

export type FromWorker = {
  readonly channel: typeof CONTROL_CHANNEL;
  readonly op: 'metrics';
  readonly id: number;
  /** The worker's registry as `getMetricsAsJSON()` gives it (undefined: it could not collect). */
  readonly metrics: RegistryJson | undefined;
};

export function isControl<T extends ToWorker | FromWorker>(message: unknown): message is T {
  return (message as { channel?: unknown } | null)?.channel === CONTROL_CHANNEL;
}

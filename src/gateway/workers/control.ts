/**
 * What the primary of `--workers N` tells its workers, and what they answer,
 * beside the store channel: reload the file, drain, send your metrics, send
 * your dashboard snapshot; and what a worker asks of the primary: the other
 * workers' dashboard snapshots.
 */
import type { Registry } from 'prom-client';
import type { DashboardSnapshot } from '../../dashboard/wire.js';

/** One worker's registry as plain data. */
export type RegistryJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export const CONTROL_CHANNEL = 'sluice:control';

export type ToWorker =
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'reload' }
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'drain' }
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'metrics'; readonly id: number }
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'dashboard'; readonly id: number }
  /** The answer to a worker's `peers`: the other workers' own snapshots. */
  | {
      readonly channel: typeof CONTROL_CHANNEL;
      readonly op: 'peers';
      readonly id: number;
      readonly snapshots: readonly DashboardSnapshot[];
    };

export type FromWorker =
  | {
      readonly channel: typeof CONTROL_CHANNEL;
      readonly op: 'metrics';
      readonly id: number;
      /** The worker's registry as `getMetricsAsJSON()` gives it (undefined: it could not collect). */
      readonly metrics: RegistryJson | undefined;
    }
  | {
      readonly channel: typeof CONTROL_CHANNEL;
      readonly op: 'dashboard';
      readonly id: number;
      /** The worker's own snapshot, full series (undefined: it could not read its state). */
      readonly snapshot: DashboardSnapshot | undefined;
    }
  /** A worker asks for the other workers' snapshots (its dashboard shows the whole gateway). */
  | { readonly channel: typeof CONTROL_CHANNEL; readonly op: 'peers'; readonly id: number };

export function isControl<T extends ToWorker | FromWorker>(message: unknown): message is T {
  return (message as { channel?: unknown } | null)?.channel === CONTROL_CHANNEL;
}

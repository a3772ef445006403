/**
 * `/metrics` of `--workers N`, served by the primary: every worker's
 * registry (asked over IPC at each scrape) merged by prom-client's
 * `AggregatorRegistry.aggregate`, which applies each metric's `aggregator`:
 * counters and histograms sum (requests, tokens, waits: the whole gateway),
 * gauges say how they merge where they are declared (state-gauges.ts):
 * queue depth and in-flight requests sum, bucket readings of the one shared
 * store are taken from one worker (they read the same state), circuits and
 * AIMD take the worst worker.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { MetricsSource } from '../metrics-listener.js';
import { askWorker } from './ask-worker.js';
import type { RegistryJson } from './control.js';

/** A worker that does not answer within this long is left out of the scrape rather than holding it. */
const WORKER_ANSWER_MS = 5_000;

export function mergedMetrics(workers: () => readonly Worker[]): MetricsSource {
  return {
    async expose() {
      const answers = await Promise.all(
        workers().map((worker) => askWorker(worker, 'metrics', (m) => m.metrics, WORKER_ANSWER_MS)),
      );
      const registry = AggregatorRegistry.aggregate(
        answers.filter((a): a is RegistryJson => a !== undefined),
      );
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

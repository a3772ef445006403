/**
 * The dashboard over `--workers N`: whichever worker a page reaches asks the
 * primary for the other workers' own snapshots and merges them with its own
 * (dashboard/merge-snapshots.ts), so the page shows the whole gateway.
 */
import type { Worker } from 'node:cluster';
import type { DashboardSnapshot } from '../../dashboard/wire.js';
import { askPrimary, askWorker } from './ask-worker.js';
import { CONTROL_CHANNEL, type FromWorker, isControl, type ToWorker } from './control.js';

/** A worker slower than this is left out of one page update rather than holding it. */
const PEER_ANSWER_MS = 800;

/** Primary: answers `worker`'s requests for its peers' snapshots, asking the others that serve. */
export function answerPeers(worker: Worker, serving: () => Iterable<Worker>): void {
  worker.on('message', (message: unknown) => {
    if (!isControl<FromWorker>(message) || message.op !== 'peers') return;
    const others = [...serving()].filter((w) => w !== worker);
    void Promise.all(others.map((w) => askWorker(w, 'dashboard', (m) => m.snapshot, PEER_ANSWER_MS))).then(
      (snapshots) => {
        const reply: ToWorker = {
          channel: CONTROL_CHANNEL,
          op: 'peers',
          id: message.id,
          snapshots: snapshots.filter((s): s is DashboardSnapshot => s !== undefined),
        };
        if (worker.isConnected()) worker.send(reply);
      },
    );
  });
}

/** Worker: the other workers' snapshots, through the primary (none if it does not answer in time). */
export function peersThroughPrimary(): () => Promise<readonly DashboardSnapshot[]> {
  return async () => (await askPrimary('peers', (m) => m.snapshots, 2 * PEER_ANSWER_MS)) ?? [];
}

/**
 * Store channel ends over `node:cluster`'s IPC (`process.send` with
 * `serialization: 'advanced'`), messages of one event-loop turn sent as one
 * (batched-link.ts). A Unix-domain socket with length + V8 framing measured
 * no faster, and JSON needs a codec for Infinity and undefined that ate its
 * lead (bench/README.md, "All cores").
 */
import type { Worker } from 'node:cluster';
import { batchedLink } from './batched-link.js';
import type { StoreLink } from './store-wire.js';

/** In a cluster worker: the channel to the primary. */
export function primaryLink(): StoreLink {
  return batchedLink({
    send: (message) => {
      if (process.connected) process.send?.(message);
    },
    listen: (listener) => process.on('message', listener),
    onClose: (listener) => process.once('disconnect', listener),
  });
}

/** In the primary: the channel to one worker. */
export function workerLink(worker: Worker): StoreLink {
  return batchedLink({
    send: (message) => {
      // A worker gone between its call and our answer: nobody waits for it.
      if (worker.isConnected()) worker.send(message as never);
    },
    listen: (listener) => worker.on('message', listener),
    onClose: (listener) => worker.once('exit', listener),
  });
}

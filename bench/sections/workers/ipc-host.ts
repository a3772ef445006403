/**
 * The primary's side for the workers-ipc section, in a child process: a
 * MemoryStore hosted over the parent's IPC channel, or over a Unix socket
 * at the path given as argument, or batched per turn (`batched`).
 */
import { createServer } from 'node:net';
import { batchedLink } from '../../../src/gateway/workers/batched-link.js';
import { hostStore } from '../../../src/gateway/workers/store-host.js';
import type { StoreLink } from '../../../src/gateway/workers/store-wire.js';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';
import { socketLink } from './socket-link.js';

const store = new MemoryStore({ clustered: true, sweepIntervalMs: 0 });
const socketPath = process.argv[2];
if (socketPath === 'batched') {
  hostStore(
    store,
    batchedLink({
      send: (message) => {
        process.send?.(message);
      },
      listen: (listener) => process.on('message', listener),
      onClose: (listener) => process.once('disconnect', listener),
    }),
  );
  process.send?.('ready');
} else if (socketPath) {
  createServer((socket) => hostStore(store, socketLink(socket))).listen(socketPath, () =>
    process.send?.('ready'),
  );
} else {
  const link: StoreLink = {
    send: (message) => {
      process.send?.(message);
    },
    onMessage: (listener) => process.on('message', listener),
    onClose: (listener) => process.once('disconnect', listener),
  };
  hostStore(store, link);
  process.send?.('ready');
}
process.on('disconnect', () => process.exit(0));

/**
 * A store channel end over a MessagePort: the same structured clone as
 * cluster's 'advanced' IPC, in one process, batched per turn as `--workers` is.
 */
import type { MessagePort } from 'node:worker_threads';
import { batchedLink } from '../../../src/gateway/workers/batched-link.js';
import type { StoreLink } from '../../../src/gateway/workers/store-wire.js';

export function portLink(port: MessagePort): StoreLink {
  return batchedLink({
    send: (message) => port.postMessage(message),
    listen: (listener) => port.on('message', listener),
    onClose: (listener) => port.once('close', listener),
  });
}

/** A store channel end over a MessagePort: the same structured clone as cluster's 'advanced' IPC, in one process. */
import type { MessagePort } from 'node:worker_threads';
import type { StoreLink } from '../../../src/gateway/workers/store-wire.js';

export function portLink(port: MessagePort): StoreLink {
  return {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => port.on('message', listener),
    onClose: (listener) => port.once('close', listener),
  };
}

/**
 * Store channel messages sent in one IPC message per event-loop turn: under
 * load a worker decides for many requests in one turn, and each message
 * sent costs a write and a wake-up on both sides, more than its bytes.
 * Messages keep their order; the other end unwraps (`batchedLink` on both).
 */
import type { StoreAnswer, StoreCall, StoreLink } from './store-wire.js';

const BATCH = 'sluice:batch';

interface Batch {
  readonly channel: typeof BATCH;
  readonly messages: readonly (StoreCall | StoreAnswer)[];
}

/** `send` and `listen` are the raw channel (process.send, worker.send, a MessagePort). */
export function batchedLink(raw: {
  send(message: unknown): void;
  listen(listener: (message: unknown) => void): void;
  onClose(listener: () => void): void;
}): StoreLink {
  let queued: (StoreCall | StoreAnswer)[] = [];
  const flush = () => {
    const messages = queued;
    queued = [];
    if (messages.length === 1) raw.send(messages[0]);
    else raw.send({ channel: BATCH, messages } satisfies Batch);
  };
  return {
    send(message) {
      if (queued.length === 0) setImmediate(flush);
      queued.push(message);
    },
    onMessage(listener) {
      raw.listen((message) => {
        if ((message as Batch | null)?.channel !== BATCH) listener(message);
        else for (const m of (message as Batch).messages) listener(m);
      });
    },
    onClose: raw.onClose,
  };
}

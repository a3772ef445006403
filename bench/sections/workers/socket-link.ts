/**
 * The store channel over a Unix-domain socket with a compact framing (a
 * 4-byte length, then the message in V8's structured-clone format): the
 * peer that cluster's own IPC (`process.send`, serialization 'advanced') was
 * measured against (workers-ipc section). Only the benchmark uses it.
 */
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';
import type { StoreLink } from '../../../src/gateway/workers/store-wire.js';

export function socketLink(socket: Socket): StoreLink {
  let buffered: Buffer = Buffer.alloc(0);
  const listeners: ((message: unknown) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32LE(0);
      if (buffered.length < 4 + length) break;
      const message = deserialize(buffered.subarray(4, 4 + length));
      buffered = buffered.subarray(4 + length);
      for (const listener of listeners) listener(message);
    }
  });
  return {
    send(message) {
      const body = serialize(message);
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32LE(body.length, 0);
      socket.write(Buffer.concat([head, body]));
    },
    onMessage: (listener) => listeners.push(listener),
    onClose: (listener) => socket.once('close', listener),
  };
}

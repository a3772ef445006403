/**
 * The one way either end of `--workers N` asks the other something over IPC
 * and waits for the answer: a request id, a listener for the answer with the
 * same op and id, and a deadline after which the asker goes on without it
 * (undefined) rather than being held (a scrape, a dashboard page).
 */
import type { Worker } from 'node:cluster';
import { CONTROL_CHANNEL, type FromWorker, isControl, type ToWorker } from './control.js';

/** One end of the channel: the primary's view of a worker, or a worker's own process. */
interface Endpoint {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  /** Sends, or says false when the other end is gone. */
  trySend(message: FromWorker | ToWorker): boolean;
}

type Asked<Op> = Extract<FromWorker | ToWorker, { op: Op; id: number }>;

let nextId = 0;

function ask<Op extends 'metrics' | 'dashboard' | 'peers', T>(
  endpoint: Endpoint,
  op: Op,
  answer: (message: Asked<Op>) => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    const id = nextId++;
    const done = (value: T | undefined) => {
      clearTimeout(timer);
      endpoint.off('message', listener);
      resolve(value);
    };
    const listener = (message: unknown) => {
      // Each op is asked one way only, so a message of this op and id from the other end is its answer.
      const control = message as Asked<Op>;
      if (isControl(message) && control.op === op && control.id === id) done(answer(control));
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    endpoint.on('message', listener);
    if (!endpoint.trySend({ channel: CONTROL_CHANNEL, op, id } as Asked<Op>)) done(undefined);
  });
}

/** The primary asks a worker (its metrics, its dashboard snapshot). */
export function askWorker<Op extends 'metrics' | 'dashboard', T>(
  worker: Worker,
  op: Op,
  answer: (message: Extract<FromWorker, { op: Op }>) => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  const endpoint: Endpoint = {
    on: (event, listener) => worker.on(event, listener),
    off: (event, listener) => worker.off(event, listener),
    trySend: (message) => worker.isConnected() && worker.send(message),
  };
  return ask(endpoint, op, answer as (message: Asked<Op>) => T | undefined, timeoutMs);
}

/** A worker asks the primary (the other workers' dashboard snapshots). */
export function askPrimary<T>(
  op: 'peers',
  answer: (message: Extract<ToWorker, { op: 'peers' }>) => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  const endpoint: Endpoint = {
    on: (event, listener) => process.on(event, listener),
    off: (event, listener) => process.off(event, listener),
    trySend: (message) => process.connected && (process.send?.(message) ?? false),
  };
  return ask(endpoint, op, answer as (message: Asked<'peers'>) => T | undefined, timeoutMs);
}

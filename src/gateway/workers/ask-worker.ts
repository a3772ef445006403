/**
 * The primary's one way to ask a worker something over IPC and wait for its
 * answer: a request id, a listener for the matching answer, and a deadline
 * after which the worker is left out (undefined) rather than holding the
 * caller (a scrape, a dashboard page).
 */
import type { Worker } from 'node:cluster';
import { CONTROL_CHANNEL, type FromWorker, isControl } from './control.js';

let nextId = 0;

export function askWorker<Op extends 'metrics' | 'dashboard', T>(
  worker: Worker,
  op: Op,
  answer: (message: Extract<FromWorker, { op: Op }>) => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    const id = nextId++;
    const done = (value: T | undefined) => {
      clearTimeout(timer);
      worker.off('message', listener);
      resolve(value);
    };
    const listener = (message: unknown) => {
      if (isControl<FromWorker>(message) && message.op === op && message.id === id)
        done(answer(message as Extract<FromWorker, { op: Op }>));
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    worker.on('message', listener);
    if (worker.isConnected()) worker.send({ channel: CONTROL_CHANNEL, op, id });
    else done(undefined);
  });
}

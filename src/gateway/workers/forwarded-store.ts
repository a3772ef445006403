/**
 * A worker's store under `--workers N` with the memory store: every method
 * of the `Store` port is sent to the primary (store-host.ts), which decides
 * on the one `MemoryStore`, and its answer (or its error, same class) comes
 * back: one round trip per decision, so N processes share the limits
 * exactly as N requests in one process would.
 *
 * Methods are forwarded by name through a Proxy, so methods and options the
 * port gains later need no change here. `clustered` is true: other
 * processes decide on the same state, so the runtime publishes its waiting
 * demand (cluster-wide order) as it does on Redis. `close` alone stays in
 * the worker: the primary's store serves the other workers still.
 */
import { type Store, StoreUnavailableError } from '../../stores/store.js';
import { fromWireError, isOnChannel, STORE_CHANNEL, type StoreAnswer, type StoreLink } from './store-wire.js';

/** How soon a caller may try again once the primary is gone (the worker is then about to exit). */
const PRIMARY_GONE_RETRY_MS = 1_000;

export function forwardedStore(link: StoreLink): Store {
  return forwarded<Store>(link, STORE_CHANNEL);
}

/** `T`'s methods, each sent on `channel` to the object the primary hosts there (store-host.ts). */
export function forwarded<T extends object>(link: StoreLink, channel: string): T {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let closed = false;
  link.onMessage((message) => {
    if (!isOnChannel(message, channel) || 'method' in message) return;
    const answer = message as StoreAnswer;
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if ('error' in answer) waiting.reject(fromWireError(answer.error));
    else waiting.resolve(answer.value);
  });
  const unavailable = () =>
    new StoreUnavailableError('the primary process holding the limits is gone', {
      retryAfterMs: PRIMARY_GONE_RETRY_MS,
    });
  link.onClose(() => {
    closed = true;
    for (const waiting of pending.values()) waiting.reject(unavailable());
    pending.clear();
  });
  const call = (method: string, args: unknown[]): Promise<unknown> => {
    if (closed) return Promise.reject(unavailable());
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        link.send({ channel, id, method, args });
      } catch (error) {
        pending.delete(id);
        reject(
          new StoreUnavailableError('cannot reach the primary', {
            retryAfterMs: PRIMARY_GONE_RETRY_MS,
            cause: error,
          }),
        );
      }
    });
  };
  const closeLocally = async () => {
    closed = true;
  };
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({ clustered: true } as unknown as T, {
    get(target, property) {
      if (property === 'clustered') return true;
      // The primary's store outlives any one worker: a worker closing stops using it, nothing more.
      if (property === 'close') return closeLocally;
      // Not a thenable: `await store` must not send a call named `then`.
      if (typeof property !== 'string' || property === 'then') return Reflect.get(target, property);
      let method = methods.get(property);
      if (!method) {
        method = (...args: unknown[]) => call(property, args);
        methods.set(property, method);
      }
      return method;
    },
  });
}

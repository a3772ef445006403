/**
 * The primary's side of the store channel: it owns the one `MemoryStore` of
 * `--workers N` and answers each worker's calls, one round trip per call.
 *
 * Reservations are the one thing that cannot travel as they are: the memory
 * store knows its own by identity. The host keeps, per worker, the
 * reservations it handed out by id and gives the store its own object back
 * when the worker names one (settle, renew, or any later method taking a
 * reservation). A worker that dies holding reservations gets them settled
 * ("estimate stands") at once rather than when their leases run out, so its
 * concurrency slots come back.
 */
import type { Reservation } from '../../core/decision.js';
import type { Store } from '../../stores/store.js';
import { isOnChannel, STORE_CHANNEL, type StoreCall, type StoreLink, toWireError } from './store-wire.js';

/**
 * Answers `link`'s calls on `channel` with `store`'s methods. Any object
 * with methods can be hosted (the memory response cache is, on its own
 * channel); `Store` is the one whose reservations need the mapping below.
 */
export function hostStore(store: Store | object, link: StoreLink, channel: string = STORE_CHANNEL): void {
  const held = new Map<string, Reservation>();
  const target = store as unknown as Record<string, unknown>;
  link.onMessage((message) => {
    if (!isOnChannel(message, channel) || !('method' in message)) return;
    const call = message as StoreCall;
    const method = target[call.method];
    if (typeof method !== 'function' || call.method === 'constructor') {
      answerError(link, channel, call.id, new TypeError(`the store has no method ${call.method}`));
      return;
    }
    const args = call.args.map((arg) => ownReservation(held, arg));
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(method.apply(store, args));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => {
        // A settled reservation is the worker's no more (a second settle is the store's to count).
        if (call.method === 'settle') held.delete((args[0] as Reservation).id);
        link.send({ channel, id: call.id, value: exported(held, value) });
      },
      (error: unknown) => answerError(link, channel, call.id, error),
    );
  });
  link.onClose(() => {
    for (const reservation of held.values()) (store as Store).settle(reservation).catch(() => undefined);
    held.clear();
  });
}

function answerError(link: StoreLink, channel: string, id: number, error: unknown): void {
  link.send({ channel, id, error: toWireError(error) });
}

function isReservation(value: object): value is Reservation {
  const r = value as Partial<Reservation>;
  return typeof r.id === 'string' && typeof r.grantedAt === 'number' && Array.isArray(r.buckets);
}

/** The store's own object for a reservation the worker names; anything else as it came. */
function ownReservation(held: Map<string, Reservation>, arg: unknown): unknown {
  if (typeof arg !== 'object' || arg === null || !isReservation(arg)) return arg;
  return held.get(arg.id) ?? arg;
}

/**
 * A result as plain data: reservations (class instances whose id is a getter)
 * become `{ id, buckets, cost, grantedAt }` and are remembered; arrays and
 * plain objects are walked (decisions, first-fit answers).
 */
function exported(held: Map<string, Reservation>, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => exported(held, item));
  if (isReservation(value)) {
    held.set(value.id, value);
    return { id: value.id, buckets: value.buckets, cost: value.cost, grantedAt: value.grantedAt };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = exported(held, item);
  return out;
}

/**
 * What crosses between a worker and the primary of `--workers N` for one
 * store call: the method's name and its arguments, then the answer or the
 * error. Methods are named, not enumerated, so a method or option added to
 * the `Store` port later travels without a change here. Values go by
 * structured clone (cluster `serialization: 'advanced'`, or a MessagePort in
 * tests): `Infinity` (a refusal that never fits) and `undefined` survive,
 * which JSON would not keep.
 */
import { StoreUnavailableError } from '../../stores/store.js';

/** Every message of a forwarding channel carries its tag; other cluster messages are not ours. */
export const STORE_CHANNEL = 'sluice:store';
/** The response cache's entries (memory cache store), forwarded the same way. */
export const CACHE_CHANNEL = 'sluice:cache';
/** Idempotent calls' records (memory store): one for every worker, so a repeat on another worker is a replay. */
export const IDEMPOTENCY_CHANNEL = 'sluice:idempotency';

export interface StoreCall {
  readonly channel: string;
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
}

export type StoreAnswer =
  | { readonly channel: string; readonly id: number; readonly value: unknown }
  | { readonly channel: string; readonly id: number; readonly error: WireError };

/** Either end of the channel: a cluster worker's `process`, the primary's `Worker`, or a test's MessagePort. */
export interface StoreLink {
  send(message: StoreCall | StoreAnswer): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the other end is gone (worker exit, primary gone). */
  onClose(listener: () => void): void;
}

export function isOnChannel(message: unknown, channel: string): message is StoreCall | StoreAnswer {
  return (message as { channel?: unknown } | null)?.channel === channel;
}

/** Errors keep their class where the port defines one (the runtime tests `instanceof StoreUnavailableError`). */
export function toWireError(error: unknown): WireError {
  const e = error as { name?: unknown; message?: unknown; code?: unknown; retryAfterMs?: unknown } | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(error),
    code: typeof e?.code === 'string' ? e.code : undefined,
    retryAfterMs: typeof e?.retryAfterMs === 'number' ? e.retryAfterMs : undefined,
  };
}

export function fromWireError(wire: WireError): Error {
  if (wire.name === 'StoreUnavailableError' || wire.code === 'store_unavailable')
    return new StoreUnavailableError(wire.message, { retryAfterMs: wire.retryAfterMs ?? 1_000 });
  const error = new Error(wire.message) as Error & { code?: string };
  error.name = wire.name;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}

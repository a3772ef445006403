/**
 * The headers a caller uses to steer Sluice, read the same way by both faces
 * (gateway and `governor.fetch`). They are Sluice's own and never go
 * upstream. A header the caller set on purpose but got wrong is an error
 * (400), not silently ignored.
 */
import type { PriorityClasses } from '../core/scheduler/priority.js';

export const CONTROL_HEADERS: readonly string[] = Object.freeze([
  'x-sluice-tenant',
  'x-sluice-priority',
  'x-sluice-max-wait-ms',
  'x-sluice-downgrade',
]);

export type ControlHeaders =
  | {
      readonly ok: true;
      /** A class the caller asks for (it can only lower its tier's). */
      readonly priority: string | undefined;
      readonly maxWaitMs: number | undefined;
      readonly downgrade: boolean;
      /** The caller's `Cache-Control` for the response cache: `no-cache` refreshes, `no-store` skips it. */
      readonly cache: CacheDirective | undefined;
      /** The caller's `Idempotency-Key`: the call runs at most once per tenant and key. */
      readonly idempotencyKey: string | undefined;
    }
  | {
      readonly ok: false;
      readonly code: 'invalid_priority' | 'invalid_max_wait' | 'invalid_idempotency_key';
      readonly message: string;
    };

/** An `Idempotency-Key`: 1–255 visible ASCII characters (a UUID, a hash, `order-123-step-4`). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** What a caller's `Cache-Control` asks of the response cache (RFC 9111 §5.2.1; other directives do not apply). */
export type CacheDirective = 'no-cache' | 'no-store';

export function cacheDirectiveOf(value: string | null | undefined): CacheDirective | undefined {
  if (!value) return undefined;
  let found: CacheDirective | undefined;
  for (const part of value.split(',')) {
    const directive = part.trim().toLowerCase();
    if (directive === 'no-store') return 'no-store';
    if (directive === 'no-cache' || directive === 'max-age=0') found = 'no-cache';
  }
  return found;
}

/** Reads the control headers through `get` (undefined or null: absent). */
export function readControlHeaders(
  get: (name: string) => string | null | undefined,
  classes: PriorityClasses,
  defaultPriority?: string,
): ControlHeaders {
  const priority = get('x-sluice-priority') ?? defaultPriority;
  if (priority !== undefined && classes.indexOf(priority) === undefined) {
    return {
      ok: false,
      code: 'invalid_priority',
      message: `Unknown x-sluice-priority \`${priority}\`: use one of ${classes.names.join(', ')}.`,
    };
  }
  const wait = get('x-sluice-max-wait-ms');
  // Number('') is 0: an empty header is a mistake, not "do not wait".
  const maxWaitMs =
    wait === undefined || wait === null ? undefined : wait.trim() === '' ? Number.NaN : Number(wait);
  if (maxWaitMs !== undefined && !(Number.isFinite(maxWaitMs) && maxWaitMs >= 0)) {
    return {
      ok: false,
      code: 'invalid_max_wait',
      message: 'x-sluice-max-wait-ms must be a number of milliseconds, 0 or more.',
    };
  }
  const key = get('idempotency-key');
  const idempotencyKey = key === undefined || key === null ? undefined : key.trim();
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    return {
      ok: false,
      code: 'invalid_idempotency_key',
      message: 'Idempotency-Key must be 1 to 255 visible ASCII characters.',
    };
  }
  return {
    ok: true,
    priority,
    maxWaitMs,
    downgrade: get('x-sluice-downgrade') === 'allow',
    cache: cacheDirectiveOf(get('cache-control')),
    idempotencyKey,
  };
}

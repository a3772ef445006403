/**
 * Where idempotent calls are remembered (issue 20): per tenant and
 * `Idempotency-Key`, the fingerprint of the request that first used the key
 * and, once it finished, the answer it got. A memory implementation for one
 * process, a Redis one shared by every instance.
 *
 * A key is claimed by the first call that brings it (a lease, so an instance
 * that dies mid-call frees it after `leaseMs`); the claim ends with
 * `complete` (the answer is kept for `ttlMs`) or `release` (nothing worth
 * keeping: a refusal, an error, a cut stream — the key is free for a retry).
 */

/** What a replay writes: the first answer's status, headers and body bytes as the caller got them. */
export interface StoredAnswer {
  readonly status: number;
  /** A flat `[name, value, …]` list, without the first call's request id. */
  readonly headers: readonly string[];
  /** The body, base64 (a stream's bytes as sent: replayed as the same stream). */
  readonly body: string;
}

export type Claim =
  /** This call holds the key: it runs, then completes or releases with `token`. */
  | { readonly kind: 'first'; readonly token: string }
  /** The key's call finished: its answer. */
  | { readonly kind: 'done'; readonly answer: StoredAnswer }
  /** Another call (maybe on another instance) holds the key. */
  | { readonly kind: 'running' }
  /** The key was used with another request. */
  | { readonly kind: 'mismatch' };

export interface ClaimRequest {
  /** Tenant and key, joined (`idempotentScope`). */
  readonly scope: string;
  /** Hash of method, path and body (`requestFingerprint`). */
  readonly fingerprint: string;
  readonly now: number;
  readonly leaseMs: number;
}

export interface IdempotencyStore {
  claim(request: ClaimRequest): Promise<Claim>;
  /** Keeps `answer` for `ttlMs` if `token` still holds the key (a lease that ran out lost it). */
  complete(scope: string, token: string, answer: StoredAnswer, ttlMs: number, now: number): Promise<void>;
  /** Frees the key if `token` still holds it. */
  release(scope: string, token: string): Promise<void>;
  /** Extends a running call's lease to `now + leaseMs` if `token` still holds the key (a long stream). */
  renew(scope: string, token: string, leaseMs: number, now: number): Promise<void>;
  close?(): Promise<void>;
}

export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

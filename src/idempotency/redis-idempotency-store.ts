/**
 * Idempotency records in Redis (`store: { kind: redis }`), shared by every
 * instance: one hash per tenant and key under `<prefix>:idem:{<sha256>}`
 * (its own hash tag, so a Redis Cluster spreads them), claimed, completed
 * and released by one Lua call each. Leases and lifetimes are the key's
 * PEXPIRE.
 *
 * Unlike the response cache, a failure here is not a miss: a claim that
 * cannot be made throws, and the call is answered as the store's
 * unavailability says (`idempotent-calls.ts` runs it without the guarantee
 * rather than refusing it: the caller asked for at most once, and with the
 * store away nothing else could give it a second run either).
 */
import { createHash, randomUUID } from 'node:crypto';
import { type LuaScript, type RedisClient, readLuaScripts, runScript } from '../stores/redis/scripts.js';
import type { Claim, ClaimRequest, IdempotencyStore, StoredAnswer } from './idempotency-store.js';

const NAMES = ['claim', 'complete', 'release', 'renew'] as const;
let scripts: Readonly<Record<(typeof NAMES)[number], LuaScript>> | undefined;
function load() {
  scripts ??= readLuaScripts(new URL('./lua/', import.meta.url), NAMES);
  return scripts;
}

export interface RedisIdempotencyStoreOptions {
  /** An ioredis client or cluster; the store does not close it. */
  readonly client: RedisClient;
  /** Key prefix, brace-free (e.g. `sluice`). */
  readonly prefix: string;
}

export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly scripts = load();

  constructor(private readonly options: RedisIdempotencyStoreOptions) {}

  async claim({ scope, fingerprint, leaseMs }: ClaimRequest): Promise<Claim> {
    const token = randomUUID();
    const reply = (await runScript(this.options.client, this.scripts.claim, 1, [
      this.keyOf(scope),
      fingerprint,
      token,
      Math.max(1, Math.ceil(leaseMs)),
    ])) as [string, string?];
    switch (reply[0]) {
      case 'first':
        return { kind: 'first', token };
      case 'done':
        return { kind: 'done', answer: JSON.parse(reply[1] as string) as StoredAnswer };
      case 'mismatch':
        return { kind: 'mismatch' };
      default:
        return { kind: 'running' };
    }
  }

  async complete(scope: string, token: string, answer: StoredAnswer, ttlMs: number): Promise<void> {
    await runScript(this.options.client, this.scripts.complete, 1, [
      this.keyOf(scope),
      token,
      JSON.stringify(answer),
      Math.max(1, Math.ceil(ttlMs)),
    ]);
  }

  async release(scope: string, token: string): Promise<void> {
    await runScript(this.options.client, this.scripts.release, 1, [this.keyOf(scope), token]);
  }

  async renew(scope: string, token: string, leaseMs: number): Promise<void> {
    await runScript(this.options.client, this.scripts.renew, 1, [
      this.keyOf(scope),
      token,
      Math.max(1, Math.ceil(leaseMs)),
    ]);
  }

  private keyOf(scope: string): string {
    return `${this.options.prefix}:idem:{${createHash('sha256').update(scope).digest('hex')}}`;
  }
}

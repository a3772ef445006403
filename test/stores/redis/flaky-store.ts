/**
 * A shared store whose availability the test switches: a MemoryStore behind
 * a flag, failing like RedisStore does (StoreUnavailableError). Lets the
 * fallback policy be tested deterministically; the real-Redis failure tests
 * prove the same against a killed redis-server.
 */
import type { Clock } from '../../../src/core/clock.js';
import type { Cost, Usage } from '../../../src/core/cost.js';
import type { ProviderObservation, Reservation } from '../../../src/core/decision.js';
import type { BucketSpec } from '../../../src/core/limit.js';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';
import { StoreUnavailableError } from '../../../src/stores/redis/errors.js';
import type { SharedStore } from '../../../src/stores/redis/fallback-store.js';
import type { DemandUpdate, ReserveChoice, ReserveOptions } from '../../../src/stores/store.js';

export class FlakyStore implements SharedStore {
  readonly clustered = true;
  inner: MemoryStore;
  down = false;
  calls = 0;
  private listener: ((connected: boolean) => void) | undefined;

  constructor(private readonly clock: Clock) {
    this.inner = new MemoryStore({ clock, idPrefix: 'shared-' });
  }

  /** A restart without persistence: every bucket full again, no reservation known. */
  loseState(): void {
    this.inner = new MemoryStore({ clock: this.clock, idPrefix: 'shared-' });
  }

  /** Simulates the connection events RedisStore forwards from ioredis. */
  setConnected(connected: boolean): void {
    this.down = !connected;
    this.listener?.(connected);
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = undefined;
    };
  }

  private check(): void {
    this.calls++;
    if (this.down) throw new StoreUnavailableError('connection refused', { retryAfterMs: 1_000 });
  }

  async ping() {
    this.check();
  }
  async reserve(buckets: readonly BucketSpec[], cost: Cost, options?: ReserveOptions) {
    this.check();
    return this.inner.reserve(buckets, cost, options);
  }
  async reserveFirst(choices: readonly ReserveChoice[], options?: ReserveOptions) {
    this.check();
    return this.inner.reserveFirst(choices, options);
  }
  async publishDemand(update: DemandUpdate) {
    this.check();
    return this.inner.publishDemand(update);
  }
  async settle(reservation: Reservation, usage?: Usage) {
    this.check();
    return this.inner.settle(reservation, usage);
  }
  async renew(reservation: Reservation, leaseMs?: number) {
    this.check();
    return this.inner.renew(reservation, leaseMs);
  }
  async sync(bucket: BucketSpec, observation: ProviderObservation) {
    this.check();
    return this.inner.sync(bucket, observation);
  }
  async pause(bucket: BucketSpec, untilMs: number) {
    this.check();
    return this.inner.pause(bucket, untilMs);
  }
  async peek(buckets: readonly BucketSpec[]) {
    this.check();
    return this.inner.peek(buckets);
  }
  async stats() {
    this.check();
    return this.inner.stats();
  }
  async close() {}
}

/** Records log lines instead of printing them. */
export class RecordingLogger {
  readonly lines: { level: 'warn' | 'info'; message: string; fields: Record<string, unknown> }[] = [];
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', message, fields });
  }
}

/**
 * Keeps the leases of running calls alive. One timer for all of them (a timer
 * per request costs more than the request's own admission), ticking every
 * third of a lease while anything is held; each tick renews the reservations
 * that have not been renewed for a third of a lease. The store's own lease
 * expiry then only ever catches holders that really died.
 */
import type { Cancel, Clock } from '../core/clock.js';
import type { Reservation } from '../core/decision.js';
import type { Store } from '../stores/store.js';

interface Held {
  readonly reservation: Reservation;
  renewedAt: number;
}

export class LeaseKeeper {
  private readonly held = new Map<Reservation, Held>();
  private cancel: Cancel | undefined;
  private readonly everyMs: number;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {
    this.everyMs = Math.max(1_000, leaseMs / 3);
  }

  get size(): number {
    return this.held.size;
  }

  keep(reservation: Reservation): void {
    this.held.set(reservation, { reservation, renewedAt: this.clock.now() });
    if (!this.cancel) this.cancel = this.clock.schedule(this.everyMs, () => this.tick());
  }

  release(reservation: Reservation): void {
    this.held.delete(reservation);
  }

  private tick(): void {
    this.cancel = undefined;
    const now = this.clock.now();
    for (const entry of this.held.values()) {
      if (now - entry.renewedAt < this.everyMs) continue;
      entry.renewedAt = now;
      void this.store.renew(entry.reservation, this.leaseMs).catch(() => false);
    }
    if (this.held.size > 0) this.cancel = this.clock.schedule(this.everyMs, () => this.tick());
  }
}

/**
 * Settles one admitted attempt exactly once, whatever happens first: usage
 * arrives, the stream is cut, the caller aborts, or an error ends it. While
 * unsettled it keeps the reservation's lease alive (long streams), so the
 * store's expiry only ever catches holders that really died.
 */
import type { Cancel, Clock } from '../core/clock.js';
import type { Usage } from '../core/cost.js';
import type { Admission, Admitted } from './admission.js';

export class Settlement {
  private done = false;
  private cancelRenew: Cancel | undefined;

  constructor(
    private readonly admission: Admission,
    readonly admitted: Admitted,
    private readonly clock: Clock,
    private readonly leaseMs: number,
    private readonly onSettled: (usage: Usage | undefined) => void,
  ) {
    this.scheduleRenew();
  }

  get settled(): boolean {
    return this.done;
  }

  /** Usage known → refund or charge the difference; undefined → the estimate stands. */
  settle(usage?: Usage): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    this.cancelRenew?.();
    this.onSettled(usage);
    return this.admission.settle(this.admitted, usage).then(
      () => undefined,
      () => undefined, // the store's lease expiry settles what it could not
    );
  }

  private scheduleRenew(): void {
    const every = Math.max(1_000, this.leaseMs / 3);
    this.cancelRenew = this.clock.schedule(every, () => {
      if (this.done) return;
      void this.admission.store.renew(this.admitted.reservation, this.leaseMs).catch(() => false);
      this.scheduleRenew();
    });
  }
}

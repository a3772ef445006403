/**
 * Settles one admitted attempt exactly once, whatever happens first: usage
 * arrives, the stream is cut, the caller aborts, or an error ends it. While
 * unsettled, the governor's `LeaseKeeper` keeps its lease alive.
 */
import type { ProviderUsage } from '../../providers/adapter.js';
import type { Admission, Admitted } from '../admission.js';
import type { LeaseKeeper } from '../lease-keeper.js';

export class Settlement {
  private done = false;

  constructor(
    private readonly admission: Admission,
    readonly admitted: Admitted,
    private readonly leases: LeaseKeeper,
    private readonly onSettled: (
      usage: ProviderUsage | undefined,
      partial: ProviderUsage | undefined,
    ) => void,
  ) {
    leases.keep(admitted.reservation);
  }

  get settled(): boolean {
    return this.done;
  }

  /**
   * Usage known → refund or charge the difference; undefined → the estimate
   * stands. `partial`: what a cut stream reported before it ended (its input
   * side is final from the first usage event), for learning only.
   */
  settle(usage?: ProviderUsage, partial?: ProviderUsage): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    this.leases.release(this.admitted.reservation);
    this.onSettled(usage, usage ? undefined : partial);
    return this.admission.settle(this.admitted, usage).then(
      () => undefined,
      () => undefined, // the store's lease expiry settles what it could not
    );
  }
}

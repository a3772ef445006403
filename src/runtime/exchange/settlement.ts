/**
 * Settles one admitted attempt exactly once, whatever happens first: usage
 * arrives, the stream is cut, the caller aborts, or an error ends it. While
 * unsettled, the governor's `LeaseKeeper` keeps its lease alive.
 */
import type { Usage } from '../../core/cost.js';
import type { Reassignment } from '../../stores/store.js';
import type { Admission, Admitted } from '../admission.js';
import type { LeaseKeeper } from '../lease-keeper.js';

/** Where usage belongs when it is not on the reserved buckets (a call of another size class), or undefined. */
export type Reassign = (usage: Usage) => Reassignment | undefined;

export class Settlement {
  private done = false;

  constructor(
    private readonly admission: Admission,
    readonly admitted: Admitted,
    private readonly leases: LeaseKeeper,
    private readonly onSettled: (usage: Usage | undefined) => void,
    private readonly reassign?: Reassign,
  ) {
    leases.keep(admitted.reservation);
  }

  get settled(): boolean {
    return this.done;
  }

  /** Usage known → refund or charge the difference; undefined → the estimate stands. */
  settle(usage?: Usage): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    this.leases.release(this.admitted.reservation);
    this.onSettled(usage);
    const moved = usage && this.reassign?.(usage);
    return this.admission.settle(this.admitted, usage, moved ? { reassign: moved } : undefined).then(
      () => undefined,
      () => undefined, // the store's lease expiry settles what it could not
    );
  }
}

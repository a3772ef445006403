/**
 * Settles one admitted attempt exactly once, whatever happens first: usage
 * arrives, the stream is cut, the caller aborts, or an error ends it. While
 * unsettled, the governor's `LeaseKeeper` keeps its lease alive.
 *
 * Two amounts travel separately: the usage the buckets are settled with
 * (a cut stream keeps its estimate there) and what the call delivered,
 * which observers count.
 */
import type { Clock } from '../../core/clock.js';
import type { Usage } from '../../core/cost.js';
import type { ProviderUsage } from '../../providers/adapter.js';
import type { Reassignment } from '../../stores/store.js';
import type { Admission, Admitted } from '../admission.js';
import type { LeaseKeeper } from '../lease-keeper.js';

/** What is known about an attempt's tokens when it settles. */
export interface SettledFacts {
  /** Bucket usage; undefined: the estimate stands. */
  readonly usage: ProviderUsage | undefined;
  /** Tokens the call used as far as known (see the `settled` event). */
  readonly delivered: ProviderUsage;
  /** `usage` is the provider's own final count. */
  readonly reported: boolean;
  /** A 2xx answer's body was relayed: the relay (or `schedule`) settled with what it delivered. */
  readonly answered: boolean;
  /** Clock time of the first body chunk (undefined: none). */
  readonly firstChunkAt: number | undefined;
  /** What a cut stream reported before it ended (undefined when `usage` is known): learning only. */
  readonly partial: ProviderUsage | undefined;
}

/** Where usage belongs when it is not on the reserved buckets (a call of another size class), or undefined. */
export type Reassign = (usage: ProviderUsage) => Reassignment | undefined;

/** `usage` with the dollars it cost (a call charged on a spending budget). */
export type PriceUsage = (usage: ProviderUsage) => Usage;

export interface SettlementOptions {
  leases: LeaseKeeper;
  clock: Clock;
  onSettled: (facts: SettledFacts) => void;
  reassign?: Reassign | undefined;
  price?: PriceUsage | undefined;
}

const NOTHING: ProviderUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

export class Settlement {
  private done = false;
  private firstChunkAt: number | undefined;
  private readonly leases: LeaseKeeper;
  private readonly clock: Clock;
  private readonly onSettled: (facts: SettledFacts) => void;
  private readonly reassign: Reassign | undefined;
  private readonly price: PriceUsage | undefined;

  constructor(
    private readonly admission: Admission,
    readonly admitted: Admitted,
    options: SettlementOptions,
  ) {
    this.leases = options.leases;
    this.clock = options.clock;
    this.onSettled = options.onSettled;
    this.reassign = options.reassign;
    this.price = options.price;
    this.leases.keep(admitted.reservation);
  }

  get settled(): boolean {
    return this.done;
  }

  /** The first chunk of the answer's body arrived (time to first chunk). */
  firstChunk(): void {
    if (this.firstChunkAt === undefined) this.firstChunkAt = this.clock.now();
  }

  /**
   * Usage known → refund or charge the difference; undefined → the estimate
   * stands. `delivered` is given by whoever relayed an answer; without it
   * the attempt failed and delivered `usage` or nothing. `reported`
   * defaults to whether usage is given. `partial`: what a cut stream
   * reported before it ended (its input side is final from the first usage
   * event), for learning only.
   */
  settle(
    usage?: ProviderUsage,
    known: { delivered?: ProviderUsage; reported?: boolean; partial?: ProviderUsage | undefined } = {},
  ): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    this.leases.release(this.admitted.reservation);
    this.onSettled({
      usage,
      delivered: known.delivered ?? usage ?? NOTHING,
      reported: known.reported ?? usage !== undefined,
      answered: known.delivered !== undefined,
      firstChunkAt: this.firstChunkAt,
      partial: usage ? undefined : known.partial,
    });
    const moved = usage && this.reassign?.(usage);
    const charged = usage && this.price ? this.price(usage) : usage;
    return this.admission.settle(this.admitted, charged, moved ? { reassign: moved } : undefined).then(
      () => undefined,
      () => undefined, // the store's lease expiry settles what it could not
    );
  }
}

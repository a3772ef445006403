/**
 * Spending budgets, the same for every `Store` (run beside
 * `store-contract.ts` by each store's test file): a bucket of dimension
 * `usd` is charged the cost's dollars and settled at the usage's, an
 * unknown usage leaves the estimate, a batch that mixes priced and unpriced
 * reservations charges each its own, and a calendar month starts over on
 * the 1st.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Cost } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import type { Store } from '../../src/stores/store.js';
import { bucket, type StoreFactory, type StoreUnderTest } from './store-contract.js';

const priced = (usd: number, inputTokens = 100, outputTokens = 50): Cost => ({
  requests: 1,
  inputTokens,
  outputTokens,
  usd,
});

function held(reservation: Reservation | undefined): Reservation {
  if (!reservation) throw new Error('expected a grant');
  return reservation;
}

export function describeBudgetContract(name: string, factory: StoreFactory): void {
  describe(`Budget contract: ${name}`, () => {
    let clock: ManualClock;
    let sut: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 1, 27, 12, 0, 0));
      sut = await factory(clock, { leaseMs: 30_000 });
      store = sut.store;
    });
    afterEach(async () => {
      await sut.cleanup?.();
    });

    const day = () => bucket('usd-day', { dimension: 'usd', limit: 1, per: 'day', margin: 0 });
    const rpm = () => bucket('rpm', { dimension: 'requests', limit: 100, per: 'minute', margin: 0 });
    const tpm = () => bucket('tpm', { dimension: 'tokens', limit: 10_000, per: 'minute', margin: 0 });

    it('charges the dollars to the budget and the tokens and requests to the others; settles at the usage', async () => {
      const [usd, requests, tokens] = [day(), rpm(), tpm()];
      const decision = await store.reserve([usd, requests, tokens], priced(0.25));
      expect(decision.granted).toBe(true);
      let [u, r, t] = await store.peek([usd, requests, tokens]);
      expect(u?.remaining).toBeCloseTo(0.75, 9);
      expect(r?.remaining).toBeCloseTo(99, 9);
      expect(t?.remaining).toBeCloseTo(9_850, 9);
      await store.settle(held(decision.reservation), { inputTokens: 100, outputTokens: 10, usd: 0.05 });
      [u, r, t] = await store.peek([usd, requests, tokens]);
      expect(u?.remaining).toBeCloseTo(0.95, 9);
      expect(t?.remaining).toBeCloseTo(9_890, 9);
    });

    it('keeps the estimate when the usage says nothing of dollars, or is unknown', async () => {
      const usd = day();
      const a = await store.reserve([usd], priced(0.2));
      await store.settle(held(a.reservation), { inputTokens: 1, outputTokens: 1 });
      const b = await store.reserve([usd], priced(0.3));
      await store.settle(held(b.reservation));
      expect((await store.peek([usd]))[0]?.remaining).toBeCloseTo(0.5, 9);
    });

    it('refuses what the budget cannot hold, and says when it will', async () => {
      const usd = day();
      expect((await store.reserve([usd], priced(0.9))).granted).toBe(true);
      const refused = await store.reserve([usd], priced(0.2));
      expect(refused.granted).toBe(false);
      // A rolling day refills $1 per 24 h: the missing $0.10 takes 2.4 h.
      expect(refused.retryAfterMs).toBeCloseTo(0.1 * 86_400_000, -1);
      expect((await store.reserve([usd], priced(2))).reason).toBe('too_large');
    });

    it('charges each reservation of a concurrent batch its own dollars, priced or not', async () => {
      const [usd, requests] = [day(), rpm()];
      const decisions = await Promise.all([
        store.reserve([requests], { requests: 1, inputTokens: 5, outputTokens: 5 }),
        store.reserve([requests, usd], priced(0.1)),
        store.reserve([requests, usd], priced(0.2)),
        store.reserve([requests], { requests: 1, inputTokens: 5, outputTokens: 5 }),
      ]);
      expect(decisions.map((d) => d.granted)).toEqual([true, true, true, true]);
      const [u, r] = await store.peek([usd, requests]);
      expect(u?.remaining).toBeCloseTo(0.7, 9);
      expect(r?.remaining).toBeCloseTo(96, 9);
      await Promise.all([
        store.settle(held(decisions[0]?.reservation), { inputTokens: 5, outputTokens: 5 }),
        store.settle(held(decisions[1]?.reservation), { inputTokens: 5, outputTokens: 5, usd: 0.01 }),
        store.settle(held(decisions[2]?.reservation), { inputTokens: 5, outputTokens: 5, usd: 0.02 }),
      ]);
      expect((await store.peek([usd]))[0]?.remaining).toBeCloseTo(0.97, 9);
    });

    it('offers each alternative at its own price: the one the budget can hold takes it', async () => {
      const usd = day();
      expect((await store.reserve([usd], priced(0.7))).granted).toBe(true);
      const fit = await store.reserveFirst([
        { buckets: [usd], cost: priced(0.5) },
        { buckets: [usd], cost: priced(0.25) },
      ]);
      expect(fit.choice).toBe(1);
      expect((await store.peek([usd]))[0]?.remaining).toBeCloseTo(0.05, 9);
    });

    it('charges spend the provider already served (a Batch API’s results) without waiting, over the limit too', async () => {
      // How runtime/batch-billing.ts charges it: a reservation of nothing, settled with the usage moved onto the budget.
      const [daily, month] = [
        day(),
        bucket('usd-month', { dimension: 'usd', limit: 10, per: 'month', margin: 0 }),
      ];
      const charge = async (usd: number) => {
        const nothing = await store.reserve([], { requests: 0, inputTokens: 0, outputTokens: 0, usd: 0 });
        await store.settle(
          held(nothing.reservation),
          { inputTokens: 1_000, outputTokens: 100, usd },
          { reassign: { release: [], charge: [daily, month] } },
        );
      };
      await charge(0.4);
      let [d, m] = await store.peek([daily, month]);
      expect(d?.remaining).toBeCloseTo(0.6, 9);
      expect(m?.remaining).toBeCloseTo(9.6, 9);
      await charge(0.9);
      [d, m] = await store.peek([daily, month]);
      expect(d?.remaining).toBe(0);
      expect(m?.remaining).toBeCloseTo(8.7, 9);
      // Spent past the limit: the next call waits until the debt has drained, not just until it would fit.
      const refused = await store.reserve([daily], priced(0.1));
      expect(refused.granted).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(((0.3 + 0.1) / 1) * 86_400_000 - 1_000);
    });

    it('keeps a calendar month until the 1st, then starts over', async () => {
      const month = bucket('usd-month', { dimension: 'usd', limit: 10, per: 'month', margin: 0 });
      expect(month.kind).toBe('fixed');
      expect((await store.reserve([month], priced(9.5))).granted).toBe(true);
      const refused = await store.reserve([month], priced(1));
      // 27 February 12:00 UTC to 1 March 00:00 UTC.
      expect(refused.retryAfterMs).toBe(Date.UTC(2026, 2, 1) - clock.now());
      clock.set(Date.UTC(2026, 2, 1, 0, 0, 0));
      expect((await store.reserve([month], priced(9.5))).granted).toBe(true);
    });
  });
}

/** Arguments and reply of settle.lua for a batch of settles (see batch.ts). */
import type { Usage } from '../../core/cost.js';
import type { Reservation, SettleOutcome } from '../../core/decision.js';
import { type BucketSpec, spendsMoney } from '../../core/limit.js';
import type { Reassignment } from '../store.js';
import { batchArgv, KeyTable, ShapeTable } from './batch.js';
import type { ScriptCall } from './reserve-batch.js';
import type { ScriptArg } from './scripts.js';
import { pushPeriod, type SpecArgs } from './spec-args.js';

/** How settle.lua moves a bucket: settle the difference, release all that was charged, or charge the usage. */
type Mode = 's' | 'r' | 'c';

export interface PendingSettle {
  readonly reservation: Reservation;
  readonly usage: Usage | undefined;
  readonly reassign?: Reassignment | undefined;
  readonly resolve: (outcome: SettleOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export function encodeSettles(
  items: readonly PendingSettle[],
  fixed: { stats: string; leases: string; header: readonly ScriptArg[]; now: number },
  argsOf: (spec: BucketSpec) => SpecArgs,
): ScriptCall {
  const table = new KeyTable(fixed.stats, fixed.leases);
  const entries: Record<Mode, Map<BucketSpec, number>> = { s: new Map(), r: new Map(), c: new Map() };
  let entryCount = 0;
  const shapes = new ShapeTable();
  const entryArgs: ScriptArg[] = [];
  const settleArgs: ScriptArg[] = [];
  const entryOf = (spec: BucketSpec, mode: Mode): number => {
    let entry = entries[mode].get(spec);
    if (entry === undefined) {
      const a = argsOf(spec);
      entryArgs.push(table.indexOf(a.slotsKey ?? a.stateKey), a.kind, a.rate, a.dimension);
      pushPeriod(entryArgs, spec, fixed.now);
      entryArgs.push(mode);
      entry = ++entryCount;
      entries[mode].set(spec, entry);
    }
    return entry;
  };
  // Settles carry dollars only in batches that touch a spending budget (settle.lua reads its entries).
  const priced = items.some(
    (item) =>
      spendsMoney(item.reservation.buckets) ||
      (item.usage !== undefined && item.reassign !== undefined && spendsMoney(item.reassign.charge)),
  );
  for (const { reservation, usage, reassign } of items) {
    const { buckets, cost } = reservation;
    const moved = usage ? reassign : undefined;
    const released = moved ? new Set(moved.release.map((b) => b.key)) : undefined;
    const numbers = new Array<number>(buckets.length);
    for (let i = 0; i < buckets.length; i++) {
      const spec = buckets[i] as BucketSpec;
      numbers[i] = entryOf(spec, released?.has(spec.key) ? 'r' : 's');
    }
    if (moved)
      for (const spec of moved.charge) if (spec.kind !== 'concurrency') numbers.push(entryOf(spec, 'c'));
    // The request count matters only where usage moves (settle.lua skips it otherwise).
    const requests = moved ? cost.requests : '';
    settleArgs.push(reservation.id, shapes.indexOf(numbers), requests, cost.inputTokens, cost.outputTokens);
    if (usage) settleArgs.push(usage.inputTokens, usage.outputTokens);
    else settleArgs.push('', '');
    if (priced) settleArgs.push(cost.usd ?? 0, usage?.usd ?? '');
  }
  return {
    keys: table.keys,
    argv: batchArgv(fixed.header, entryCount, shapes, items.length, entryArgs, settleArgs),
  };
}

/** settle.lua answers one character per settle. */
export function resolveSettles(items: readonly PendingSettle[], reply: unknown): void {
  const verdicts = String(reply);
  for (let i = 0; i < items.length; i++) {
    (items[i] as PendingSettle).resolve(verdicts.charCodeAt(i) === 49 ? 'settled' : 'duplicate');
  }
}

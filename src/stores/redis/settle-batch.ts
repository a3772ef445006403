/** Arguments and reply of settle.lua for a batch of settles (see batch.ts). */
import type { Usage } from '../../core/cost.js';
import type { Reservation, SettleOutcome } from '../../core/decision.js';
import type { BucketSpec } from '../../core/limit.js';
import { batchArgv, KeyTable, ShapeTable } from './batch.js';
import type { ScriptCall } from './reserve-batch.js';
import type { ScriptArg } from './scripts.js';
import { pushPeriod, type SpecArgs } from './spec-args.js';

export interface PendingSettle {
  readonly reservation: Reservation;
  readonly usage: Usage | undefined;
  readonly resolve: (outcome: SettleOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export function encodeSettles(
  items: readonly PendingSettle[],
  fixed: { stats: string; leases: string; header: readonly ScriptArg[]; now: number },
  argsOf: (spec: BucketSpec) => SpecArgs,
): ScriptCall {
  const table = new KeyTable(fixed.stats, fixed.leases);
  const entries = new Map<BucketSpec, number>();
  const shapes = new ShapeTable();
  const entryArgs: ScriptArg[] = [];
  const settleArgs: ScriptArg[] = [];
  for (const { reservation, usage } of items) {
    const { buckets, cost } = reservation;
    const numbers = new Array<number>(buckets.length);
    for (let i = 0; i < buckets.length; i++) {
      const spec = buckets[i] as BucketSpec;
      let entry = entries.get(spec);
      if (entry === undefined) {
        const a = argsOf(spec);
        entryArgs.push(table.indexOf(a.slotsKey ?? a.stateKey), a.kind, a.rate, a.dimension);
        pushPeriod(entryArgs, spec, fixed.now);
        entry = entries.size + 1;
        entries.set(spec, entry);
      }
      numbers[i] = entry;
    }
    settleArgs.push(reservation.id, shapes.indexOf(numbers), cost.inputTokens, cost.outputTokens);
    if (usage) settleArgs.push(usage.inputTokens, usage.outputTokens);
    else settleArgs.push('', '');
  }
  return {
    keys: table.keys,
    argv: batchArgv(fixed.header, entries.size, shapes, items.length, entryArgs, settleArgs),
  };
}

/** settle.lua answers one character per settle. */
export function resolveSettles(items: readonly PendingSettle[], reply: unknown): void {
  const verdicts = String(reply);
  for (let i = 0; i < items.length; i++) {
    (items[i] as PendingSettle).resolve(verdicts.charCodeAt(i) === 49 ? 'settled' : 'duplicate');
  }
}

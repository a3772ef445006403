/**
 * Arguments and reply of reserve.lua for a batch of reservations (see
 * batch.ts). A reservation carries one choice (`reserve`) or several
 * (`reserveFirst`), tried in order by the script; the first that fits is
 * granted.
 *
 * Redis spends most of a script's time converting numbers to reply strings,
 * so reserve.lua replies with the bucket states as they were stored before
 * the batch plus one verdict per reservation, and `resolveReserves` replays
 * the grants from those states with the same core arithmetic to report
 * `remaining` (bit-identical doubles: same operations, same order).
 */

import { fixedUsed, fixedWindow, periodStart } from '../../core/buckets/fixed-window.js';
import { gcraRemaining, gcraTake } from '../../core/buckets/gcra.js';
import { costOn } from '../../core/cost.js';
import { type Decision, grant, type RefusalReason, refusal } from '../../core/decision.js';
import { type BucketSpec, spendsMoney } from '../../core/limit.js';
import type { ClusterOrder, FirstFit, Rank, ReserveChoice } from '../store.js';
import { batchArgv, KeyTable, ShapeTable, units } from './batch.js';
import type { ScriptArg } from './scripts.js';
import { pushPeriod, type SpecArgs } from './spec-args.js';

interface PendingCommon {
  /** Tried in order; one for a plain `reserve`. */
  readonly choices: readonly ReserveChoice[];
  readonly leaseMs: number;
  /** The reservation's id, whichever choice is granted. */
  readonly id: string;
  readonly now: number;
  readonly reject: (error: unknown) => void;
  /** Cluster-wide order: who asks, and the settings (demand-board.ts). */
  readonly rank: Rank | undefined;
  readonly order: ClusterOrder | undefined;
  /** Headroom to leave free (ReserveOptions.keep; 0: none). */
  readonly keep: number;
}

/** One demand record riding along with the next reserve call of its group (demand.lua). */
export interface PendingDemand {
  readonly demandKey: string;
  /** The bucket's fair-queuing tags: a tenant that starts waiting starts at the class's virtual time. */
  readonly fairKey: string;
  /** `class|instance|tenant`. */
  readonly field: string;
  readonly amount: number;
  readonly weight: number;
  readonly leaseMs: number;
}

/**
 * A reservation waiting for its batch: `reserve` is answered with its one
 * decision, `reserveFirst` with the choice and the decisions tried (the
 * callers' own resolve functions: no wrapper per call on the hot path).
 */
export type PendingReserve =
  | (PendingCommon & { readonly first: false; readonly resolve: (decision: Decision) => void })
  | (PendingCommon & { readonly first: true; readonly resolve: (fit: FirstFit) => void });

export interface ScriptCall {
  readonly keys: string[];
  readonly argv: ScriptArg[];
}

/** What the reply of a reserve batch is decoded against. */
export interface ReserveBatch extends ScriptCall {
  readonly items: readonly PendingReserve[];
  /** Per entry (1-based, as in the script): its spec, state key index, slot key index (0 if none). */
  readonly entrySpecs: BucketSpec[];
  readonly entryState: number[];
  readonly entrySlots: number[];
  /** Entry numbers of each choice's buckets, in order: the first item's choices, then the next item's… */
  readonly choiceEntries: number[][];
}

/** Reason codes of reserve.lua, by number. */
const REASONS: readonly (RefusalReason | undefined)[] = [
  undefined,
  'rate',
  'paused',
  'concurrency',
  'too_large',
  'yield',
];

export function encodeReserves(
  items: readonly PendingReserve[],
  fixed: { stats: string; leases: string; header: readonly ScriptArg[]; now: number },
  argsOf: (spec: BucketSpec) => SpecArgs,
  demand: readonly PendingDemand[] = [],
): ReserveBatch {
  // One process, one order: the settings of the first ranked reservation stand for the batch.
  const order = items.find((item) => item.rank && item.order)?.order;
  // Reservations carry a headroom only in batches where one asks for it: most batches send none.
  const kept = items.some((item) => item.keep > 0);
  // Alternatives carry dollars only in batches that charge a spending budget (reserve.lua reads its entries).
  const priced = items.some((item) => item.choices.some((c) => spendsMoney(c.buckets)));
  const table = new KeyTable(fixed.stats, fixed.leases);
  const entries = new Map<BucketSpec, number>();
  const shapes = new ShapeTable();
  const entrySpecs: BucketSpec[] = [];
  const entryState: number[] = [];
  const entrySlots: number[] = [];
  const choiceEntries: number[][] = [];
  const entryArgs: ScriptArg[] = [];
  const reservationArgs: ScriptArg[] = [];
  const entryOf = (spec: BucketSpec): number => {
    let entry = entries.get(spec);
    if (entry === undefined) {
      const a = argsOf(spec);
      const state = table.indexOf(a.stateKey);
      const slots = a.slotsKey ? table.indexOf(a.slotsKey) : 0;
      entryArgs.push(state, slots, a.kind, a.capacity, a.rate, a.dimension);
      pushPeriod(entryArgs, spec, fixed.now);
      entryArgs.push(a.burst, a.pace);
      if (order) entryArgs.push(table.indexOf(a.demandKey), table.indexOf(a.fairKey));
      entry = entries.size + 1;
      entries.set(spec, entry);
      entrySpecs[entry] = spec;
      entryState[entry] = state;
      entrySlots[entry] = slots;
    }
    return entry;
  };
  for (const item of items) {
    reservationArgs.push(item.id, item.leaseMs);
    if (kept) reservationArgs.push(item.keep);
    if (order) {
      const rank = item.rank;
      if (rank) reservationArgs.push(rank.priority, rank.tenant, rank.weight);
      else reservationArgs.push(-1, '', 1);
    }
    const last = item.choices.length - 1;
    for (let c = 0; c <= last; c++) {
      const { buckets, cost } = item.choices[c] as ReserveChoice;
      const numbers = new Array<number>(buckets.length);
      for (let i = 0; i < buckets.length; i++) numbers[i] = entryOf(buckets[i] as BucketSpec);
      choiceEntries.push(numbers);
      // Negative: another choice follows (reserve.lua).
      const shape = shapes.indexOf(numbers);
      reservationArgs.push(c < last ? -shape : shape, cost.requests, cost.inputTokens, cost.outputTokens);
      if (priced) reservationArgs.push(cost.usd ?? 0);
    }
  }
  const published: ScriptArg[] = [];
  for (const record of demand) {
    published.push(
      table.indexOf(record.demandKey),
      table.indexOf(record.fairKey),
      record.field,
      record.amount,
      record.weight,
      record.leaseMs,
    );
  }
  const argv = batchArgv(fixed.header, entries.size, shapes, items.length, entryArgs, reservationArgs, {
    counts: [order ? 1 : 0, order?.yieldMs ?? 0, demand.length, kept ? 1 : 0],
    args: published,
  });
  return { keys: table.keys, argv, items, entrySpecs, entryState, entrySlots, choiceEntries };
}

/** Resolves every pending reservation from the script's reply; `clientNow` is the batch's time. */
export function resolveReserves(batch: ReserveBatch, reply: readonly unknown[], clientNow: number): void {
  const now = reply[0] === 0 ? clientNow : Number(reply[0]);
  // Bucket states by key index, as stored before the batch, then evolved grant by grant.
  const level: number[] = [];
  const win: number[] = [];
  const held: number[] = [];
  let o = 1;
  for (let e = 1; e < batch.entrySpecs.length; e++) {
    const k = batch.entryState[e] as number;
    level[k] = Number(reply[o]) || 0;
    win[k] = Number(reply[o + 1]) || 0;
    const s = batch.entrySlots[e] as number;
    if (s > 0) held[s] = reply[o + 2] as number;
    o += 3;
  }
  // Period starts as the script saw them: the caller's, shifted to the script's clock.
  const startOf = (spec: BucketSpec): number =>
    spec.fixed ? periodStart(spec.fixed, clientNow) + (now - clientNow) : 0;
  const remainingOf = (e: number): number => {
    const spec = batch.entrySpecs[e] as BucketSpec;
    const k = batch.entryState[e] as number;
    if (spec.kind === 'gcra') return gcraRemaining(level[k] as number, now, spec);
    if (spec.kind === 'fixed')
      return Math.max(spec.capacity - fixedUsed(level[k] as number, win[k] as number, startOf(spec)), 0);
    return Math.max(0, spec.capacity - (held[batch.entrySlots[e] as number] as number));
  };

  let firstChoice = 0; // of the item, in `choiceEntries`
  for (let j = 0; j < batch.items.length; j++) {
    const item = batch.items[j] as PendingReserve;
    const decisions: Decision[] = [];
    let chosen = -1;
    let malformed: string | undefined;
    for (let c = 0; c < item.choices.length; c++) {
      const { buckets, cost } = item.choices[c] as ReserveChoice;
      const entries = batch.choiceEntries[firstChoice + c] as number[];
      const verdict = reply[o] as number;
      if (verdict === 0) {
        o += 1;
        for (const e of entries) {
          const spec = batch.entrySpecs[e] as BucketSpec;
          const k = batch.entryState[e] as number;
          const amount = costOn(cost, spec.dimension);
          if (spec.kind === 'gcra') {
            level[k] = gcraTake(level[k] as number, amount, now, spec);
          } else if (spec.kind === 'fixed') {
            const start = startOf(spec);
            level[k] = fixedUsed(level[k] as number, win[k] as number, start) + amount;
            win[k] = fixedWindow(win[k] as number, start);
          } else {
            const s = batch.entrySlots[e] as number;
            held[s] = (held[s] as number) + 1;
          }
        }
        const remaining = entries.map(remainingOf);
        decisions.push(grant({ id: item.id, buckets, cost, grantedAt: clientNow }, remaining));
        chosen = c;
        break;
      }
      const limitedBy = buckets[verdict - 1];
      const reason = REASONS[reply[o + 2] as number];
      const wait = reason === 'too_large' ? Number.POSITIVE_INFINITY : units(reply[o + 1]);
      o += 3;
      if (!limitedBy || !reason) {
        // Keep reading this item's refusals: the next items' verdicts follow them.
        malformed ??= `reserve script replied verdict ${verdict}, reason ${String(reply[o - 1])}`;
        continue;
      }
      decisions.push(refusal(wait, limitedBy, reason, entries.map(remainingOf)));
    }
    firstChoice += item.choices.length;
    if (malformed) item.reject(new Error(malformed));
    else if (item.first) item.resolve({ choice: chosen, decisions });
    else item.resolve(decisions[0] as Decision);
  }
}

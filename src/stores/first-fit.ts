/**
 * `reserveFirst` as a sequence of `reserve` calls: each choice is one step,
 * tried in order until one is granted. Correct for any store (a choice
 * granted is granted all-or-nothing), though not one step for all of them:
 * for stores that cannot try every choice at once (choices in different
 * Redis hash-tag groups) and for wrappers that only pass calls through.
 */
import type { Decision } from '../core/decision.js';
import type { FirstFit, ReserveChoice, ReserveOptions, Store } from './store.js';

export async function reserveInTurn(
  store: Pick<Store, 'reserve'>,
  choices: readonly ReserveChoice[],
  options?: ReserveOptions,
): Promise<FirstFit> {
  const decisions: Decision[] = [];
  for (const [index, choice] of choices.entries()) {
    const decision = await store.reserve(choice.buckets, choice.cost, options);
    decisions.push(decision);
    if (decision.granted) return { choice: index, decisions };
  }
  return { choice: -1, decisions };
}

/**
 * Weights as a traffic split (issue 15): smooth weighted round robin over
 * whichever choices are offered. Each turn adds every offered choice's
 * weight to its credit and takes the sum of the weights from the one that
 * goes first, so over any run of turns among the same choices each gets its
 * weight's share, interleaved rather than in streaks (60 / 40 is A B A B A,
 * not A A A B B).
 *
 * A turn is taken when the choices are offered (`take`), before the store
 * has answered: concurrent requests offered in the same tick must see each
 * other's turns, or a burst would all prefer the same choice. The store's
 * answer then corrects it (`settle`): granted elsewhere (the preferred one
 * was full), the charge moves there; granted nowhere, it is given back.
 * Credits are bounded so a choice passed over while full cannot bank a
 * streak for when it has room again. Pure: no clock, no randomness.
 */

export interface WeightedChoice {
  /** Stable identity across calls (a deployment id). */
  readonly id: string;
  /** Share of the traffic, > 0. */
  readonly weight: number;
}

export class WeightedTurns {
  private readonly credit = new Map<string, number>();

  /**
   * Takes a turn among `choices`: their indexes in the order to offer them
   * (the one whose turn it is first, the rest by credit), charged to the first.
   */
  take(choices: readonly WeightedChoice[]): number[] {
    const indexes = choices.map((_, i) => i);
    if (choices.length < 2) return indexes;
    const total = sum(choices);
    for (const c of choices) this.add(c.id, c.weight);
    indexes.sort((a, b) => this.creditOf(choices[b]) - this.creditOf(choices[a]) || a - b);
    this.add((choices[indexes[0] as number] as WeightedChoice).id, -total);
    this.bound(choices, total);
    return indexes;
  }

  /**
   * The store's answer to a turn: `granted` (an index of `choices`, -1 for
   * none) took the request rather than `charged` (the first of `take`'s order).
   */
  settle(choices: readonly WeightedChoice[], charged: number, granted: number): void {
    if (choices.length < 2 || granted === charged) return;
    const total = sum(choices);
    this.add((choices[charged] as WeightedChoice).id, total);
    if (granted >= 0) this.add((choices[granted] as WeightedChoice).id, -total);
    else for (const c of choices) this.add(c.id, -c.weight);
    this.bound(choices, total);
  }

  private creditOf(choice: WeightedChoice | undefined): number {
    return choice ? (this.credit.get(choice.id) ?? 0) : 0;
  }

  private add(id: string, amount: number): void {
    this.credit.set(id, (this.credit.get(id) ?? 0) + amount);
  }

  /** Plain smooth round robin never leaves [-total, total]. */
  private bound(choices: readonly WeightedChoice[], total: number): void {
    for (const c of choices) {
      const credit = this.credit.get(c.id) ?? 0;
      if (credit > total) this.credit.set(c.id, total);
      else if (credit < -total) this.credit.set(c.id, -total);
    }
  }
}

function sum(choices: readonly WeightedChoice[]): number {
  let total = 0;
  for (const c of choices) total += c.weight;
  return total;
}

/**
 * Which buckets queued work waits on, per priority class: a newcomer of
 * class p goes straight to the store unless queued work of class p or more
 * urgent waits on one of its buckets (then it queues behind that work, and
 * fairness decides). Queued work waiting on other capacity does not delay it:
 * no head-of-line blocking across model groups or deployments.
 */
export class WaitingOn {
  private readonly byKey = new Map<string, number[]>();

  constructor(private readonly classes: number) {}

  add(keys: Iterable<string>, priority: number): void {
    for (const key of keys) {
      let counts = this.byKey.get(key);
      if (!counts) {
        counts = new Array<number>(this.classes).fill(0);
        this.byKey.set(key, counts);
      }
      counts[priority] = (counts[priority] ?? 0) + 1;
    }
  }

  remove(keys: Iterable<string>, priority: number): void {
    for (const key of keys) {
      const counts = this.byKey.get(key);
      if (!counts) continue;
      counts[priority] = Math.max(0, (counts[priority] ?? 0) - 1);
      if (counts.every((n) => n === 0)) this.byKey.delete(key);
    }
  }

  /** Whether queued work of class `priority` or more urgent waits on any of `keys`. */
  blocks(keys: Iterable<string>, priority: number): boolean {
    for (const key of keys) {
      const counts = this.byKey.get(key);
      if (!counts) continue;
      for (let p = 0; p <= priority; p++) if ((counts[p] ?? 0) > 0) return true;
    }
    return false;
  }
}

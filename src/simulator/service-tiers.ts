/**
 * Which service tier serves a call: the one asked for, unless a downgrade
 * rule (config `service_tiers.downgrades`) has had its fill of that tier in
 * the current window. Deterministic: counts depend only on clock time and
 * the order of calls.
 */
import type { TierDowngradeSpec } from './config.js';
import type { Flavour } from './flavour.js';

export interface TierTarget {
  readonly flavour: Flavour;
  readonly key: string;
  readonly model: string;
  /** The tier asked for. */
  readonly asked: string;
  /** Admitted tokens of the call (input plus the output reserved). */
  readonly tokens: number;
}

export class TierDowngrades {
  /** Tokens served at a rule's `from` tier, per rule × key × model, in the window `window`. */
  private served = new Map<string, { window: number; tokens: number }>();

  constructor(private readonly specs: readonly TierDowngradeSpec[]) {}

  /** The tier that serves `target` now (and counts it against the rule that keeps it at its tier). */
  serve(target: TierTarget, now: number): string {
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i] as TierDowngradeSpec;
      if (!matches(spec, target)) continue;
      const window = Math.floor(now / spec.window_ms);
      const id = `${i}\u0000${target.key}\u0000${target.model}`;
      let tally = this.served.get(id);
      if (!tally || tally.window !== window) {
        tally = { window, tokens: 0 };
        this.served.set(id, tally);
      }
      if (tally.tokens + target.tokens > spec.after_tokens) return spec.to;
      tally.tokens += target.tokens;
      return target.asked;
    }
    return target.asked;
  }

  reset(): void {
    this.served = new Map();
  }
}

/** OpenAI's Fast mode is Priority processing renamed (PROVIDERS.md "2026 changes"): a rule on one covers both. */
function sameTier(flavour: Flavour, a: string, b: string): boolean {
  const name = (t: string) => (flavour === 'openai' && t === 'fast' ? 'priority' : t);
  return name(a) === name(b);
}

function matches(spec: TierDowngradeSpec, target: TierTarget): boolean {
  return (
    sameTier(target.flavour, spec.from, target.asked) &&
    (spec.flavour === undefined || spec.flavour === target.flavour) &&
    (spec.key === undefined || spec.key === target.key) &&
    (spec.model === undefined || spec.model === target.model)
  );
}

/**
 * How long answers are, learned per model group and tenant, for requests
 * that set no output maximum on providers whose limiter does not charge
 * one at admission (Gemini's TPM counts input only, PROVIDERS.md §6.2):
 * the high quantile (p95) of the last 64 answers. Used only once 8 answers
 * were seen; before that the adapter's table applies. Where a provider's
 * rule charges a maximum (OpenAI, Azure), the adapter ignores it and
 * reserves the rule (`output-reservation.ts`), so this never reserves less
 * than the provider's admission charges.
 */
import { RecentValues } from './recent-values.js';

const LENGTH_WINDOW = 64;
const LENGTH_QUANTILE = 0.95;
const MIN_SAMPLES = 8;
/** Group × tenant pairs remembered; the oldest is forgotten first. */
const MAX_PAIRS = 4_096;

export class OutputLengths {
  private readonly byPair = new Map<string, RecentValues>();

  observe(group: string, tenant: string, outputTokens: number): void {
    if (!(outputTokens >= 0)) return;
    const key = pairKey(group, tenant);
    let recent = this.byPair.get(key);
    if (!recent) {
      if (this.byPair.size >= MAX_PAIRS) {
        const oldest = this.byPair.keys().next().value;
        if (oldest !== undefined) this.byPair.delete(oldest);
      }
      recent = new RecentValues(LENGTH_WINDOW);
      this.byPair.set(key, recent);
    }
    recent.push(outputTokens);
  }

  /** Output tokens to reserve when the request sets no maximum, or undefined until learned. */
  lengthFor(group: string, tenant: string): number | undefined {
    const recent = this.byPair.get(pairKey(group, tenant));
    if (!recent || recent.size < MIN_SAMPLES) return undefined;
    const q = recent.quantile(LENGTH_QUANTILE);
    return q === undefined ? undefined : Math.max(1, Math.ceil(q));
  }
}

function pairKey(group: string, tenant: string): string {
  return `${group}\u0000${tenant}`;
}

/**
 * How a deployment's provider counts prompts compared with our estimate:
 * the ratio of the input tokens it reported to the input tokens we
 * estimated, learned per deployment (one model each) from usage. A
 * provider whose tokenizer runs 30 % above ours then gets admitted at its
 * count, not ours, and one running below gets the headroom back.
 *
 * Robust by construction: a high quantile (p90) of the last 64 ratios, so
 * admission errs on the provider's side of its spread and a few outliers
 * (a tool-heavy prompt, an image) cannot move it; bounded to [0.5, 2], so
 * nothing a provider reports can make us reserve nothing or everything.
 * It lives on the `Deployment` object, so a config change (a new object)
 * starts it afresh.
 */
import { RecentValues } from './recent-values.js';

export const PROMPT_RATIO_WINDOW = 64;
export const PROMPT_RATIO_QUANTILE = 0.9;
export const MIN_PROMPT_RATIO = 0.5;
export const MAX_PROMPT_RATIO = 2;
/** Framing and rounding dominate tiny prompts; their ratio says little about the tokenizer. */
export const MIN_SAMPLE_TOKENS = 16;

export class PromptRatio {
  private readonly recent = new RecentValues(PROMPT_RATIO_WINDOW);

  /** One settled call: our estimate of its prompt and the provider's count of it. */
  observe(estimated: number, reported: number): void {
    if (!(estimated >= MIN_SAMPLE_TOKENS) || !(reported > 0)) return;
    this.recent.push(reported / estimated);
  }

  get samples(): number {
    return this.recent.size;
  }

  /** The factor applied to later prompt estimates; 1 until something was learned. */
  get ratio(): number {
    const q = this.recent.quantile(PROMPT_RATIO_QUANTILE);
    if (q === undefined) return 1;
    return Math.min(MAX_PROMPT_RATIO, Math.max(MIN_PROMPT_RATIO, q));
  }
}

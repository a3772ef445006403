/**
 * List prices of the models PROVIDERS.md names (issue 21), in USD per
 * million tokens: what a deployment costs when its configuration sets no
 * `price` of its own. A deployment's `price` always wins (a negotiated
 * rate, a region, a tier this table does not know). Models this table does
 * not know have no price: their calls cost nothing in the metrics, the
 * dashboard, `sluice plan` and spending budgets.
 *
 * Reasoning ("thinking") tokens are billed at the output price by all three
 * providers and are counted inside the output tokens Sluice reads, so they
 * need no rate of their own. Anthropic's 1-hour cache writes cost twice the
 * input price; the 5-minute rate is listed (the default TTL). Gemini 2.5 Pro
 * costs more for prompts over 200 K tokens; the rate up to 200 K is listed.
 *
 * Sources, read on 2026-12-05 (prices change: check yours):
 * - OpenAI: https://platform.openai.com/docs/pricing (Standard tier; Batch API 50 % off)
 * - Anthropic: https://platform.claude.com/docs/en/about-claude/pricing (Batch 50 % off)
 * - Google: https://ai.google.dev/gemini-api/docs/pricing (Standard; Batch 50 % off)
 */
/** USD per million tokens, as a deployment's `price` reads (`runtime/deployment.ts`). */
export interface ModelPrice {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cachedInputPerMTok?: number;
  readonly cacheWritePerMTok?: number;
}

interface ListPrice {
  /** Which model ids the row prices (dated snapshots and aliases of one model). */
  readonly ids: RegExp;
  readonly input: number;
  readonly cachedInput: number;
  /** Anthropic's prompt-cache writes (5-minute TTL); others bill writes as input. */
  readonly cacheWrite?: number;
  readonly output: number;
}

/** Share of the list price the providers' batch APIs charge. */
export const BATCH_PRICE_SHARE = 0.5;

/** A dated snapshot (`-2024-08-06`, `-20250514`) or nothing after the model's name. */
const SNAPSHOT = String.raw`(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest)?$`;
const openai = (name: string) => new RegExp(`^${name.replaceAll('.', String.raw`\.`)}${SNAPSHOT}`);

const LIST_PRICES: readonly ListPrice[] = [
  // OpenAI
  { ids: openai('gpt-5'), input: 1.25, cachedInput: 0.125, output: 10 },
  { ids: openai('gpt-5-mini'), input: 0.25, cachedInput: 0.025, output: 2 },
  { ids: openai('gpt-5-nano'), input: 0.05, cachedInput: 0.005, output: 0.4 },
  { ids: openai('gpt-4.1'), input: 2, cachedInput: 0.5, output: 8 },
  { ids: openai('gpt-4.1-mini'), input: 0.4, cachedInput: 0.1, output: 1.6 },
  { ids: openai('gpt-4.1-nano'), input: 0.1, cachedInput: 0.025, output: 0.4 },
  { ids: openai('gpt-4o'), input: 2.5, cachedInput: 1.25, output: 10 },
  { ids: openai('gpt-4o-mini'), input: 0.15, cachedInput: 0.075, output: 0.6 },
  { ids: openai('o1'), input: 15, cachedInput: 7.5, output: 60 },
  { ids: openai('o3'), input: 2, cachedInput: 0.5, output: 8 },
  { ids: openai('o3-mini'), input: 1.1, cachedInput: 0.55, output: 4.4 },
  { ids: openai('o4-mini'), input: 1.1, cachedInput: 0.275, output: 4.4 },
  // Anthropic: every Sonnet 4.x, Opus 4.5 and later, and the older Opus 4 / 4.1
  { ids: /^claude-sonnet-4(\.|-|$)/, input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  { ids: /^claude-opus-4-[5-9](-|$)/, input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
  { ids: /^claude-opus-4(-[01])?(-\d{8})?$/, input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  { ids: /^claude-haiku-4-5(-|$)/, input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
  { ids: /^claude-3-5-haiku(-|$)/, input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
  // Google (prompts up to 200 K tokens)
  { ids: /^gemini-2\.5-pro(-|$)/, input: 1.25, cachedInput: 0.125, output: 10 },
  { ids: /^gemini-2\.5-flash(?!-lite)(-|$)/, input: 0.3, cachedInput: 0.03, output: 2.5 },
  { ids: /^gemini-2\.5-flash-lite(-|$)/, input: 0.1, cachedInput: 0.01, output: 0.4 },
];

/** The list price of `model` (as a deployment names it), or undefined when the table does not know it. */
export function listPriceOf(model: string): ModelPrice | undefined {
  const id = model.toLowerCase().replace(/^models\//, '');
  const row = LIST_PRICES.find((p) => p.ids.test(id));
  if (!row) return undefined;
  return {
    inputPerMTok: row.input,
    outputPerMTok: row.output,
    cachedInputPerMTok: row.cachedInput,
    ...(row.cacheWrite !== undefined && { cacheWritePerMTok: row.cacheWrite }),
  };
}

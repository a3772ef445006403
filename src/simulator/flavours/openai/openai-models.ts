/**
 * Model facts the OpenAI flavour needs: the output reservation when a request
 * sets no maximum, and the models `GET /v1/models` lists.
 */
import type { SimulatorConfig } from '../../config.js';

/**
 * Largest output of well-known models (their published maxima), longest
 * prefix first. Admission reserves this when a request sets no
 * `max_tokens` / `max_completion_tokens` / `max_output_tokens`.
 */
const MAX_OUTPUT_BY_PREFIX: readonly [string, number][] = [
  ['gpt-3.5-turbo-instruct', 4_096],
  ['gpt-3.5', 4_096],
  ['gpt-4o-mini', 16_384],
  ['gpt-4o', 16_384],
  ['gpt-4.1', 32_768],
  ['gpt-4-turbo', 4_096],
  ['gpt-4', 8_192],
  ['gpt-5', 128_000],
  ['o1-mini', 65_536],
  ['o1', 100_000],
  ['o3', 100_000],
  ['o4', 100_000],
];

const FALLBACK_MAX_OUTPUT = 4_096;

export function defaultMaxTokens(model: string, config: SimulatorConfig['openai']): number {
  const configured = config.default_max_tokens;
  if (typeof configured === 'number') return configured;
  if (configured) {
    const hit = longestPrefix(Object.entries(configured), model);
    if (hit !== undefined) return hit;
  }
  return longestPrefix(MAX_OUTPUT_BY_PREFIX, model) ?? FALLBACK_MAX_OUTPUT;
}

function longestPrefix(table: readonly (readonly [string, number])[], model: string): number | undefined {
  let best: readonly [string, number] | undefined;
  for (const entry of table) {
    if (model.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

const LISTED = [
  'gpt-4o-mini',
  'gpt-4o',
  'gpt-4.1',
  'gpt-4.1-mini',
  'o4-mini',
  'text-embedding-3-small',
  'text-embedding-3-large',
];

/** The models `GET /v1/models` lists: the configured exact names plus a few well-known ones. */
export function listedModels(config: SimulatorConfig): string[] {
  const names = new Set<string>(LISTED);
  for (const key of Object.values(config.keys)) {
    for (const name of Object.keys(key.models)) if (!name.includes('*')) names.add(name);
  }
  return [...names].filter((n) => !n.startsWith('claude') && !n.startsWith('gemini') && n !== 'count_tokens');
}

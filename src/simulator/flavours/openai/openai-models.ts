/**
 * Model facts the OpenAI flavour needs: the output reservation when a request
 * sets no maximum, and the models `GET /v1/models` lists.
 */
import { OPENAI_FALLBACK_MAX_OUTPUT, OPENAI_MAX_OUTPUT_BY_PREFIX } from '../../../providers/openai/models.js';
import type { SimulatorConfig } from '../../config.js';

export function defaultMaxTokens(model: string, config: SimulatorConfig['openai']): number {
  const configured = config.default_max_tokens;
  if (typeof configured === 'number') return configured;
  if (configured) {
    const hit = longestPrefix(Object.entries(configured), model);
    if (hit !== undefined) return hit;
  }
  // The governor's OpenAI adapter reads the same table, so both charge the same (PROVIDERS.md §1.5).
  return longestPrefix(Object.entries(OPENAI_MAX_OUTPUT_BY_PREFIX), model) ?? OPENAI_FALLBACK_MAX_OUTPUT;
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

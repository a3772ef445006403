/**
 * `GET /v1beta/models` and `GET /v1beta/models/{model}`: Gemini `Model`
 * resources for the models the simulator's keys configure (plus two
 * well-known ones), so `@google/genai`'s `models.list` and `models.get`
 * have something to read. Not rate limited.
 */
import type { SimulatorConfig } from '../../config.js';
import { jsonReply, type Reply } from '../../flavour.js';
import { GEMINI_JSON, geminiError } from './gemini-wire.js';

const LISTED = ['gemini-2.5-flash', 'gemini-embedding-001'];

function geminiModel(id: string) {
  const embeds = id.includes('embedding');
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    description: `Simulated ${id}.`,
    inputTokenLimit: embeds ? 2048 : 1_048_576,
    outputTokenLimit: embeds ? 1 : 65_536,
    supportedGenerationMethods: embeds
      ? ['embedContent', 'countTextTokens', 'countTokens']
      : ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
  };
}

function listedModels(config: SimulatorConfig): string[] {
  const names = new Set<string>(LISTED);
  for (const key of Object.values(config.keys)) {
    for (const name of Object.keys(key.models)) if (name.startsWith('gemini')) names.add(name);
  }
  return [...names].filter((n) => !n.includes('*')).sort();
}

/** The list (no `id`) or one model; a model the list does not hold is Gemini's 404. */
export function geminiModelsReply(config: SimulatorConfig, id: string | undefined): Reply {
  const headers = { 'content-type': GEMINI_JSON };
  if (id === undefined) return jsonReply(200, { models: listedModels(config).map(geminiModel) }, headers);
  return listedModels(config).includes(id) || id.startsWith('gemini')
    ? jsonReply(200, geminiModel(id), headers)
    : geminiError(
        404,
        'NOT_FOUND',
        `models/${id} is not found for API version v1beta, or is not supported for getModels.`,
      );
}

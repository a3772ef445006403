/**
 * Gemini's embedding calls: `:embedContent` takes one `content` (with an
 * optional `title`), `:batchEmbedContents` a list `requests[]` of the same,
 * each naming its model again as `models/{m}` (body-model.ts; the
 * @google/genai SDK sends every `models.embedContent` as a batch). Input is the character estimate
 * of the text parts (Gemini's tokenizer is a network call); nothing is
 * generated, so no output is reserved. One HTTP call is one request, as
 * for OpenAI's embeddings with a list input.
 *
 * The Developer API's answers (`{embedding}`, `{embeddings}`) report no
 * usage, so the estimate stands; a `usageMetadata` in the answer, where one
 * is sent, settles the call instead.
 */
import { costOf } from '../../core/cost.js';
import type { ProviderUsage, RequestEstimate } from '../adapter.js';
import { PromptTally } from '../estimate/prompt-tally.js';
import { charCounter } from '../estimate/text-counter.js';
import { arrayField, field, recordField, stringField } from '../parse/json-shape.js';
import { tallyContent } from './estimate.js';
import { geminiUsage } from './usage.js';

export type GeminiEmbedEndpoint = 'embed_content' | 'batch_embed_contents';

export function estimateGeminiEmbedding(
  endpoint: GeminiEmbedEndpoint,
  body: unknown,
  model: string | undefined,
): RequestEstimate {
  const tally = new PromptTally(charCounter);
  const requests = endpoint === 'batch_embed_contents' ? (arrayField(body, 'requests') ?? []) : [body];
  for (const request of requests) {
    tallyContent(field(request, 'content'), tally);
    tally.text(stringField(request, 'title'));
  }
  return { endpoint, model, stream: false, cost: costOf(tally.total(), 0) };
}

export function usageFromGeminiEmbedding(body: unknown): ProviderUsage | undefined {
  return geminiUsage(recordField(body, 'usageMetadata'));
}

/**
 * Gemini's embedding calls (PROVIDERS.md §4; shapes as `@google/genai`
 * sends and reads them): `:embedContent` takes `{content, taskType?,
 * title?, outputDimensionality?}` and answers `{embedding: {values}}`;
 * `:batchEmbedContents` takes `{requests: [...]}` (at most 100, each naming
 * the path's model as `models/{m}`) and answers `{embeddings: [{values}]}`.
 * The Developer API reports no usage on either; the limiter counts the
 * input tokens of the text parts.
 */
import { embeddingOf } from '../../bag-of-words.js';
import type { Call, Reply } from '../../flavour.js';
import { charTokens } from '../../tokens.js';
import { arr, count, isObject, type JsonObject, str, textOf } from '../json.js';
import { embeddingCall } from '../openai/openai-embeddings.js';
import { geminiInvalid } from './gemini-wire.js';

const MAX_BATCH = 100;

/** `gemini-embedding-001` answers 3072 values unless asked for fewer; the older models 768. */
function dimensionsOf(model: string): number {
  return model.startsWith('gemini-embedding') ? 3072 : 768;
}

interface EmbedRequest {
  readonly text: string;
  readonly dimensions: number;
}

function embedRequest(request: JsonObject, model: string, field: string): EmbedRequest | Reply {
  if (!isObject(request.content)) return geminiInvalid(`* ${field}.content: content is not specified\n`);
  const text = textOf(request.content.parts);
  const title = str(request.title) ?? '';
  const asked = count(request.outputDimensionality);
  const max = dimensionsOf(model);
  if (asked !== undefined && asked > max)
    return geminiInvalid(`* ${field}.output_dimensionality: must be at most ${max}\n`);
  return { text: title + text, dimensions: asked || max };
}

export function parseEmbed(body: JsonObject, model: string, batch: boolean): Call | Reply {
  const requests: EmbedRequest[] = [];
  if (batch) {
    const list = arr(body.requests);
    if (!list || list.length === 0)
      return geminiInvalid('* BatchEmbedContentsRequest.requests: requests is not specified\n');
    if (list.length > MAX_BATCH)
      return geminiInvalid(
        `* BatchEmbedContentsRequest.requests: at most ${MAX_BATCH} requests can be in one batch\n`,
      );
    for (const [i, item] of list.entries()) {
      if (!isObject(item))
        return geminiInvalid(`* BatchEmbedContentsRequest.requests[${i}]: not an object\n`);
      const named = str(item.model);
      if (named !== `models/${model}`)
        return geminiInvalid(
          `* BatchEmbedContentsRequest.requests[${i}].model: model "${named ?? ''}" does not match the batch model "models/${model}"\n`,
        );
      const one = embedRequest(item, model, `BatchEmbedContentsRequest.requests[${i}]`);
      if ('status' in one) return one;
      requests.push(one);
    }
  } else {
    const one = embedRequest(body, model, 'EmbedContentRequest');
    if ('status' in one) return one;
    requests.push(one);
  }
  const tokens = requests.reduce((sum, r) => sum + charTokens(r.text.length), 0);
  const values = (r: EmbedRequest) => ({ values: Array.from(embeddingOf(r.text, r.dimensions)) });
  return embeddingCall(batch ? 'gemini_batch_embed' : 'gemini_embed', model, tokens, {
    body: () =>
      JSON.stringify(
        batch ? { embeddings: requests.map(values) } : { embedding: values(requests[0] as EmbedRequest) },
      ),
  });
}

/**
 * `POST /v1/embeddings` (input tokens only, PROVIDERS.md §1.5) and
 * `GET /v1/models`.
 *
 * Vectors are deterministic bag-of-words vectors (`bag-of-words.ts`): equal
 * inputs get equal embeddings, rewordings close ones. A token-array input is
 * embedded as its token ids, each a word. The official Node SDK asks for
 * `encoding_format: "base64"` by default and decodes little-endian float32.
 */
import { embeddingOf } from '../../bag-of-words.js';
import type { SimulatorConfig } from '../../config.js';
import type { Call, Headers, Reply } from '../../flavour.js';
import { jsonReply, NO_CACHE } from '../../flavour.js';
import { openaiTokens } from '../../tokens.js';
import { count, type JsonObject, str } from '../json.js';
import { listedModels } from './openai-models.js';
import { openaiInvalid } from './openai-wire.js';

function dimensionsOf(model: string): number {
  return model.includes('3-large') ? 3072 : 1536;
}

/** OpenAI's upper bound for the number of inputs in one embeddings request. */
const MAX_INPUTS = 2048;

function isTokenId(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function isTokenArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.length > 0 && x.every(isTokenId);
}

/**
 * The inputs of an embeddings request, in the four shapes the API accepts (a
 * string, strings, one token array, token arrays), or undefined for anything
 * else: mixed lists, empty strings, arrays nested deeper (which also kept the
 * vectors from being rendered: `join` on a deep array overflows the stack).
 */
function embeddingInputs(raw: unknown): readonly (string | number[])[] | undefined {
  if (typeof raw === 'string') return raw.length > 0 ? [raw] : undefined;
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  if (raw.every(isTokenId)) return [raw];
  if (raw.every((x) => typeof x === 'string' && x.length > 0)) return raw as string[];
  if (raw.every(isTokenArray)) return raw;
  return undefined;
}

export function parseEmbeddings(body: JsonObject, headers: Headers): Call | Reply {
  const model = str(body.model);
  if (!model) return openaiInvalid('you must provide a model parameter', headers);
  const raw = body.input;
  if (raw === undefined)
    return openaiInvalid(
      "Missing required parameter: 'input'.",
      headers,
      'input',
      'missing_required_parameter',
    );
  if (Array.isArray(raw) && raw.length > MAX_INPUTS) {
    return openaiInvalid(
      `Invalid 'input': array too long. Expected an array with maximum length ${MAX_INPUTS}, but got an array with length ${raw.length} instead.`,
      headers,
      'input',
      'array_above_max_length',
    );
  }
  const inputs = embeddingInputs(raw);
  if (!inputs) {
    return openaiInvalid(
      "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
      headers,
    );
  }
  const tokens = inputs.reduce<number>(
    (sum, x) => sum + (typeof x === 'string' ? openaiTokens(x, model) : x.length),
    0,
  );
  const dimensions = count(body.dimensions) || dimensionsOf(model);
  if (dimensions > dimensionsOf(model)) {
    return openaiInvalid(
      `Invalid 'dimensions': integer above maximum value. Expected a value <= ${dimensionsOf(model)}, but got ${dimensions} instead.`,
      headers,
      'dimensions',
      'integer_above_max_value',
    );
  }
  const base64 = body.encoding_format === 'base64';
  return embeddingCall('embeddings', model, tokens, {
    body(_answer, usage) {
      const data = inputs.map((x, index) => {
        const vector = embeddingOf(typeof x === 'string' ? x : x.join(','), dimensions);
        return {
          object: 'embedding',
          index,
          embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
        };
      });
      return JSON.stringify({
        object: 'list',
        data,
        model,
        ...(usage ? { usage: { prompt_tokens: usage.input.tokens, total_tokens: usage.input.tokens } } : {}),
      });
    },
  });
}

/**
 * An embeddings call of any flavour: one request, its input tokens, nothing
 * generated, charged at admission as it is settled.
 */
export function embeddingCall(
  endpoint: Call['endpoint'],
  model: string,
  tokens: number,
  render: Call['render'],
): Call {
  return {
    endpoint,
    model,
    scopeModel: model,
    stream: false,
    cost: { requests: 1, input: tokens, output: 0, outputMode: 'keep' },
    input: { tokens, ...NO_CACHE },
    maxOutput: 0,
    choices: 1,
    echo: '',
    generates: false,
    render,
  };
}

export function modelsReply(config: SimulatorConfig, headers: Headers, id?: string): Reply {
  const entry = (name: string) => ({ id: name, object: 'model', created: 1_715_367_049, owned_by: 'system' });
  if (id !== undefined) return jsonReply(200, entry(id), headers);
  return jsonReply(200, { object: 'list', data: listedModels(config).map(entry) }, headers);
}

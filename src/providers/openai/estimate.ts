/**
 * The admission cost of an OpenAI-style request (PROVIDERS.md §1.5): input
 * tokens counted with the model's tokenizer (or the character estimate for
 * models without one), plus n × the maximum output. Where the provider's
 * limiter charges its own character estimate of the prompt (OpenAI, Azure),
 * that is `inputFloor`, which the runtime never reserves below. Embeddings and the model
 * list reserve no output.
 */
import { costOf } from '../../core/cost.js';
import type { Endpoint, EstimateOptions, RequestEstimate } from '../adapter.js';
import { choicesOf, maxOutputFor, type OutputDefaults } from '../estimate/output-reservation.js';
import { PromptTally } from '../estimate/prompt-tally.js';
import type { TextCounter } from '../estimate/text-counter.js';
import { field, firstCountField, stringField } from '../parse/json-shape.js';
import { framingFor, tallyChatRequest } from './chat-prompt.js';
import { tallyPromptInput } from './prompt-input.js';
import { tallyResponsesRequest } from './responses-input.js';

export interface OpenAIEstimateConfig {
  readonly counterFor: (model: string | undefined) => TextCounter;
  readonly output: OutputDefaults;
  readonly maxTokenizedChars: number;
  /** The provider's limiter charges at least ceil(prompt characters / 4) (OpenAI and Azure, PROVIDERS.md §1.5, §2.2). */
  readonly characterFloor?: boolean;
}

const MAX_OUTPUT_FIELDS = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'] as const;
/** The legacy Completions API stops at 16 tokens when `max_tokens` is absent. */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

export function estimateOpenAIRequest(
  endpoint: Endpoint,
  body: unknown,
  fallbackModel: string | undefined,
  config: OpenAIEstimateConfig,
  options: EstimateOptions | undefined,
): RequestEstimate {
  const model = stringField(body, 'model') ?? fallbackModel;
  const stream = field(body, 'stream') === true;
  const tally = new PromptTally(config.counterFor(model), config.maxTokenizedChars);
  const requested = firstCountField(body, MAX_OUTPUT_FIELDS);
  const maxOutput = (): number =>
    maxOutputFor(requested, model, config.output, options?.defaultMaxOutputTokens);
  let output = 0;
  switch (endpoint) {
    case 'chat_completions':
      tallyChatRequest(body, tally, framingFor(model));
      output = choicesOf(field(body, 'n')) * maxOutput();
      break;
    case 'responses':
      tallyResponsesRequest(body, tally, framingFor(model));
      output = maxOutput();
      break;
    case 'completions': {
      const prompts = tallyPromptInput(field(body, 'prompt'), tally);
      // Azure reserves max_tokens × best_of (§2.2); best_of ≥ n when both are set.
      const choices = Math.max(choicesOf(field(body, 'n')), choicesOf(field(body, 'best_of')));
      output = Math.max(prompts, 1) * choices * (requested ?? COMPLETIONS_DEFAULT_MAX_TOKENS);
      break;
    }
    case 'embeddings':
      tallyPromptInput(field(body, 'input'), tally);
      break;
    default:
      break;
  }
  // OpenAI's and Azure's limiters estimate the prompt from its characters (§1.5): the runtime reserves at least that.
  const inputFloor =
    config.characterFloor && endpoint !== 'embeddings' ? tally.characterEstimate() : undefined;
  return { endpoint, model, stream, cost: costOf(tally.total(), output), inputFloor };
}

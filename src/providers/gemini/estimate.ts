/**
 * The admission cost of a native Gemini request. Gemini's tokenizer is not
 * available locally (its `countTokens` is a network call), so input tokens
 * are the character estimate (`charCounter`) of the text parts of
 * `contents` and `systemInstruction`, function calls and responses and tool
 * definitions as JSON, plus a fixed cost per image (media.ts). Gemini's TPM
 * counts input tokens only (PROVIDERS.md §4.1, §6.2); the output reservation
 * is `candidateCount × generationConfig.maxOutputTokens` for local buckets.
 */
import { costOf } from '../../core/cost.js';
import type { Endpoint, EstimateOptions, RequestEstimate } from '../adapter.js';
import { GEMINI_IMAGE_TOKENS } from '../estimate/media.js';
import { choicesOf, maxOutputFor, type OutputDefaults } from '../estimate/output-reservation.js';
import { PromptTally } from '../estimate/prompt-tally.js';
import { charCounter } from '../estimate/text-counter.js';
import { arrayField, countField, field, recordField, stringField } from '../parse/json-shape.js';

export interface GeminiEstimateConfig {
  readonly output: OutputDefaults;
}

export function estimateGeminiRequest(
  endpoint: Endpoint,
  body: unknown,
  model: string | undefined,
  config: GeminiEstimateConfig,
  options: EstimateOptions | undefined,
): RequestEstimate {
  const stream = endpoint === 'stream_generate_content';
  const tally = new PromptTally(charCounter);
  tallyGeminiPrompt(body, tally);
  const generation = recordField(body, 'generationConfig') ?? recordField(body, 'generation_config');
  const requested = countField(generation, 'maxOutputTokens') ?? countField(generation, 'max_output_tokens');
  const choices = choicesOf(field(generation, 'candidateCount') ?? field(generation, 'candidate_count'));
  const output = choices * maxOutputFor(requested, model, config.output, options?.defaultMaxOutputTokens);
  return { endpoint, model, stream, cost: costOf(tally.total(), output) };
}

/** The input tokens of a request: `contents`, the system instruction, tool definitions, the response schema. */
export function tallyGeminiPrompt(body: unknown, tally: PromptTally): void {
  const contents = arrayField(body, 'contents');
  if (contents) for (const content of contents) tallyContent(content, tally);
  const system = field(body, 'systemInstruction') ?? field(body, 'system_instruction');
  if (typeof system === 'string') tally.text(system);
  else tallyContent(system, tally);
  tally.json(field(body, 'tools'));
  const generation = recordField(body, 'generationConfig') ?? recordField(body, 'generation_config');
  tally.json(field(generation, 'responseSchema') ?? field(generation, 'responseJsonSchema'));
}

/** One `Content`: `{ role, parts: [...] }`. */
export function tallyContent(content: unknown, tally: PromptTally): void {
  const parts = arrayField(content, 'parts');
  if (!parts) return;
  for (const part of parts) {
    tally.text(stringField(part, 'text'));
    const media = recordField(part, 'inlineData') ?? recordField(part, 'fileData');
    if (stringField(media, 'mimeType')?.startsWith('image/')) tally.add(GEMINI_IMAGE_TOKENS);
    tally.json(field(part, 'functionCall'));
    tally.json(field(part, 'functionResponse'));
    tally.text(stringField(recordField(part, 'executableCode'), 'code'));
    tally.text(stringField(recordField(part, 'codeExecutionResult'), 'output'));
  }
}

/**
 * The admission cost of an Anthropic Messages request. Claude's tokenizer is
 * not public (the old `@anthropic-ai/tokenizer` is "no longer accurate" for
 * Claude 3+, PROVIDERS.md §3.6), so input tokens are the documented
 * character estimate of `charCounter` over the text the model reads: system
 * prompt, message text, tool calls and results, thinking, text documents,
 * and tool definitions as JSON; plus fixed costs for images (media.ts), the
 * tool-use system prompt, and a few framing tokens per message [INF].
 * Anthropic adjusts ITPM to actual input during the request (§3.2), and so
 * does settlement here.
 *
 * Output reserves `max_tokens` (required by the API). Anthropic's 2026 docs
 * say OTPM counts only generated tokens (§3.2); reserving the maximum is the
 * safe side of that, refunded at settlement. `count_tokens` has its own RPM
 * and consumes no tokens. Where cache reads are free (most models, §3.2)
 * the prompt's cachable prefix is named too (`cache-prefix.ts`).
 */
import { costOf } from '../../core/cost.js';
import type { Endpoint, EstimateOptions, RequestEstimate } from '../adapter.js';
import { ANTHROPIC_IMAGE_TOKENS } from '../estimate/media.js';
import { maxOutputFor, type OutputDefaults } from '../estimate/output-reservation.js';
import { PromptTally } from '../estimate/prompt-tally.js';
import { charCounter } from '../estimate/text-counter.js';
import { arrayField, countField, field, isRecord, recordField, stringField } from '../parse/json-shape.js';
import { cachedPrefixOf } from './cache-prefix.js';
import { CACHE_READS_COUNT_FOR } from './usage.js';

/**
 * The system prompt Anthropic adds when tools are present (346 tokens for
 * `tool_choice` auto/none on Claude 4 models, docs.claude.com tool-use pricing).
 */
const TOOL_SYSTEM_PROMPT_TOKENS = 346;
/** Role markers around each message; not documented, a small allowance [INF]. */
const TOKENS_PER_MESSAGE = 3;
/** Nesting of tool results inside tool results is shallow in practice; deeper is not counted. */
const MAX_BLOCK_DEPTH = 4;

export interface AnthropicEstimateConfig {
  readonly output: OutputDefaults;
  /** Model name prefixes whose ITPM counts cache reads (no cached prefix is offered for them). */
  readonly cacheReadsCountFor?: readonly string[] | undefined;
}

const PREFIX_COUNTING = Object.freeze({
  block: (block: unknown, tally: PromptTally) => tallyBlocks([block], tally, 0),
  newTally: () => new PromptTally(charCounter),
  perMessage: TOKENS_PER_MESSAGE,
  toolSystemPrompt: TOOL_SYSTEM_PROMPT_TOKENS,
});

export function estimateAnthropicRequest(
  endpoint: Endpoint,
  body: unknown,
  config: AnthropicEstimateConfig,
  options: EstimateOptions | undefined,
): RequestEstimate {
  const model = stringField(body, 'model');
  const stream = field(body, 'stream') === true;
  if (endpoint !== 'messages') return { endpoint, model, stream, cost: costOf(0, 0) };
  const tally = new PromptTally(charCounter);
  tallyAnthropicPrompt(body, tally);
  const output = maxOutputFor(
    countField(body, 'max_tokens'),
    model,
    config.output,
    options?.defaultMaxOutputTokens,
  );
  const readsCount =
    model !== undefined &&
    (config.cacheReadsCountFor ?? CACHE_READS_COUNT_FOR).some((p) => model.startsWith(p));
  const cachedPrefix = readsCount ? undefined : cachedPrefixOf(body, PREFIX_COUNTING);
  return { endpoint, model, stream, cost: costOf(tally.total(), output), cachedPrefix };
}

/** The input tokens of a Messages request: system prompt, messages, tool definitions. */
export function tallyAnthropicPrompt(body: unknown, tally: PromptTally): void {
  tallyBlocks(field(body, 'system'), tally, 0);
  const messages = arrayField(body, 'messages');
  if (messages) for (const message of messages) tallyAnthropicMessage(message, tally);
  const tools = arrayField(body, 'tools');
  if (tools && tools.length > 0) {
    tally.add(TOOL_SYSTEM_PROMPT_TOKENS);
    tally.json(tools);
  }
}

/** One message with its framing (the unit a prompt budget drops, `runtime/load/prompt-budget/`). */
export function tallyAnthropicMessage(message: unknown, tally: PromptTally): void {
  if (!isRecord(message)) return;
  tally.add(TOKENS_PER_MESSAGE);
  tallyBlocks(field(message, 'content'), tally, 0);
}

/** A `content` or `system` value: a string or an array of content blocks. */
function tallyBlocks(content: unknown, tally: PromptTally, depth: number): void {
  if (typeof content === 'string') {
    tally.text(content);
    return;
  }
  if (!Array.isArray(content) || depth > MAX_BLOCK_DEPTH) return;
  for (const block of content) tallyBlock(block, tally, depth);
}

function tallyBlock(block: unknown, tally: PromptTally, depth: number): void {
  switch (stringField(block, 'type')) {
    case 'image':
      tally.add(ANTHROPIC_IMAGE_TOKENS);
      return;
    case 'tool_use':
    case 'server_tool_use':
      tally.text(stringField(block, 'name'));
      tally.json(field(block, 'input'));
      return;
    case 'tool_result':
      tallyBlocks(field(block, 'content'), tally, depth + 1);
      return;
    case 'thinking':
      tally.text(stringField(block, 'thinking'));
      return;
    case 'document': {
      // Text documents carry their text; PDFs (base64) are reconciled from usage.
      const source = recordField(block, 'source');
      if (stringField(source, 'type') === 'text') tally.text(stringField(source, 'data'));
      else if (stringField(source, 'type') === 'content')
        tallyBlocks(field(source, 'content'), tally, depth + 1);
      return;
    }
    case 'search_result':
      tally.text(stringField(block, 'title'));
      tallyBlocks(field(block, 'content'), tally, depth + 1);
      return;
    default:
      tally.text(stringField(block, 'text'));
  }
}

/**
 * When the simulated model calls a tool, and with what. One rule for the
 * three flavours, each of which only reads its own request shape into
 * `ToolOffer`:
 *
 * - no tools offered, or the choice forbids them (`none`): text;
 * - the last message is not the user's own words (a tool result, an
 *   assistant prefill): text, the "final answer" of an agent loop;
 * - otherwise one call to the named tool, or to the first offered tool
 *   (among the allowed ones, when the request restricts them), whether the
 *   choice is `auto` or `required`: the simulator always takes the tool.
 *
 * The arguments are `toolArguments` of the tool's schema and the user's
 * text; they are the answer's output, one piece per streamed fragment.
 */
import type { Answer } from './content.js';
import type { JsonObject } from './flavours/json.js';
import { toolArguments } from './tool-arguments.js';

/** A callable tool the request offers: its name and its parameters' JSON schema. */
export interface OfferedTool {
  readonly name: string;
  readonly parameters: unknown;
}

export type ToolChoice =
  | { readonly mode: 'none' }
  /** `auto` or `required`; `allowed` restricts the tools to those names (OpenAI `allowed_tools`, Gemini `allowedFunctionNames`). */
  | { readonly mode: 'any'; readonly allowed?: readonly string[] }
  | { readonly mode: 'named'; readonly name: string };

export interface ToolOffer {
  readonly tools: readonly OfferedTool[];
  readonly choice: ToolChoice;
  /** The last message is the user's (not a tool result). */
  readonly lastIsUser: boolean;
}

export type ToolDecision =
  | { readonly kind: 'text' }
  | { readonly kind: 'call'; readonly tool: OfferedTool }
  /** The choice names a tool the request does not offer: the flavour answers its 400. */
  | { readonly kind: 'unknown'; readonly name: string };

const TEXT: ToolDecision = { kind: 'text' };

export function decideTool(offer: ToolOffer): ToolDecision {
  const { tools, choice } = offer;
  if (choice.mode === 'named') {
    // Checked whatever the last message is: the API validates the request before answering it.
    const tool = tools.find((t) => t.name === choice.name);
    if (!tool) return { kind: 'unknown', name: choice.name };
    return offer.lastIsUser ? { kind: 'call', tool } : TEXT;
  }
  if (choice.mode === 'none' || tools.length === 0 || !offer.lastIsUser) return TEXT;
  const allowed = choice.allowed;
  if (allowed === undefined) return { kind: 'call', tool: tools[0] as OfferedTool };
  const tool = tools.find((t) => allowed.includes(t.name));
  if (tool) return { kind: 'call', tool };
  return allowed[0] === undefined ? TEXT : { kind: 'unknown', name: allowed[0] };
}

/** A tool call the simulated model makes; `input` is absent when the output cap cut the arguments short. */
export interface ToolCall {
  readonly name: string;
  /** The arguments' JSON text, as streamed (cut short when `input` is absent). */
  readonly arguments: string;
  readonly input: JsonObject | undefined;
}

/**
 * The answer that calls `tool`: the arguments' JSON split into fragments
 * the way tokenizers cut JSON (`{"`, `city`, `":"`, `Paris`, `"}`), one
 * output token each; a cap shorter than that cuts them and ends for length.
 */
export function toolCallAnswer(tool: OfferedTool, userText: string, maxOutput: number | undefined): Answer {
  const input = toolArguments(tool.parameters, userText);
  const json = JSON.stringify(input);
  const pieces = jsonPieces(json);
  if (maxOutput !== undefined && pieces.length > maxOutput) {
    const kept = pieces.slice(0, maxOutput);
    return {
      pieces: kept,
      text: '',
      finish: 'length',
      toolCall: { name: tool.name, arguments: kept.join(''), input: undefined },
    };
  }
  return { pieces, text: '', finish: 'tool_call', toolCall: { name: tool.name, arguments: json, input } };
}

/** Runs of letters and digits, or of other characters, each with its leading whitespace: joined, the text again. */
export function jsonPieces(json: string): string[] {
  return json.match(/\s*[\p{L}\p{N}_]+|\s*[^\p{L}\p{N}_\s]+|\s+$/gu) ?? [];
}

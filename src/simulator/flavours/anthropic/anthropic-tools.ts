/**
 * What a Messages request offers as tools: client tools (`name`,
 * `input_schema`; server tools such as web search are never called here),
 * `tool_choice` `{type: auto | any | tool | none}`, and whether the last
 * user turn is the user's words or `tool_result` blocks.
 */
import type { Headers, Reply } from '../../flavour.js';
import type { OfferedTool, ToolChoice, ToolOffer } from '../../tool-calls.js';
import { arr, isObject, type JsonObject, str } from '../json.js';
import { anthropicError } from './anthropic-wire.js';

export function messagesToolOffer(body: JsonObject, messages: readonly unknown[]): ToolOffer {
  const tools: OfferedTool[] = [];
  for (const tool of arr(body.tools) ?? []) {
    if (!isObject(tool) || !isObject(tool.input_schema)) continue;
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') continue;
    const name = str(tool.name);
    if (name) tools.push({ name, parameters: tool.input_schema });
  }
  const last = messages.at(-1);
  const lastIsUser =
    isObject(last) &&
    last.role === 'user' &&
    !(arr(last.content) ?? []).some((block) => isObject(block) && block.type === 'tool_result');
  return { tools, choice: readChoice(body.tool_choice), lastIsUser };
}

function readChoice(choice: unknown): ToolChoice {
  if (!isObject(choice)) return { mode: 'any' };
  switch (choice.type) {
    case 'none':
      return { mode: 'none' };
    case 'tool': {
      const name = str(choice.name);
      return name ? { mode: 'named', name } : { mode: 'none' };
    }
    default:
      return { mode: 'any' };
  }
}

/** A `tool_choice` naming a tool the request does not define (the simulator's wording). */
export function anthropicUnknownTool(name: string, headers: Headers): Reply {
  return anthropicError(
    400,
    'invalid_request_error',
    `tool_choice: tool '${name}' is not among the tools`,
    headers,
  );
}

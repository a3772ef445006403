/**
 * What a Chat Completions or Responses request offers as tools, and the 400
 * for a `tool_choice` naming a tool it does not offer. Only function tools
 * are callable here; custom and hosted tools (web search, file search …)
 * are never called by the simulator.
 */
import type { Headers, Reply } from '../../flavour.js';
import type { OfferedTool, ToolChoice, ToolOffer } from '../../tool-calls.js';
import { arr, isObject, type JsonObject, str } from '../json.js';
import { openaiInvalid } from './openai-wire.js';

/** Chat Completions: `tools: [{type: "function", function: {name, parameters}}]`, `tool_choice`. */
export function chatToolOffer(body: JsonObject, messages: readonly unknown[]): ToolOffer {
  const tools: OfferedTool[] = [];
  for (const tool of arr(body.tools) ?? []) {
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) continue;
    const name = str(tool.function.name);
    if (name) tools.push({ name, parameters: tool.function.parameters });
  }
  const last = messages.at(-1);
  return {
    tools,
    choice: readChoice(body.tool_choice, (named) =>
      isObject(named.function) ? named.function.name : undefined,
    ),
    lastIsUser: isObject(last) && last.role === 'user',
  };
}

/** Responses: `tools: [{type: "function", name, parameters}]`, `tool_choice`; the last input item a user message. */
export function responsesToolOffer(body: JsonObject): ToolOffer {
  const tools: OfferedTool[] = [];
  for (const tool of arr(body.tools) ?? []) {
    if (!isObject(tool) || tool.type !== 'function') continue;
    const name = str(tool.name);
    if (name) tools.push({ name, parameters: tool.parameters });
  }
  const last = typeof body.input === 'string' ? undefined : arr(body.input)?.at(-1);
  const lastIsUser =
    typeof body.input === 'string' ||
    (isObject(last) && (last.type === undefined || last.type === 'message') && last.role === 'user');
  return { tools, choice: readChoice(body.tool_choice, (named) => named.name), lastIsUser };
}

/**
 * `none`, `auto` (the default), `required`, a named function, or
 * `allowed_tools`; any other choice (a custom or hosted tool) means no
 * function call. `nameOf` reads a named choice's name (Chat nests it under
 * `function`, Responses does not).
 */
function readChoice(choice: unknown, nameOf: (named: JsonObject) => unknown): ToolChoice {
  if (choice === undefined || choice === null || choice === 'auto' || choice === 'required')
    return { mode: 'any' };
  if (!isObject(choice)) return { mode: 'none' };
  if (choice.type === 'function') {
    const name = str(nameOf(choice));
    return name ? { mode: 'named', name } : { mode: 'none' };
  }
  if (choice.type === 'allowed_tools') {
    // Chat nests the list under `allowed_tools`; Responses puts `mode` and `tools` on the choice itself.
    const holder = isObject(choice.allowed_tools) ? choice.allowed_tools : choice;
    const allowed: string[] = [];
    for (const tool of arr(holder.tools) ?? []) {
      const name = isObject(tool) && tool.type === 'function' ? str(nameOf(tool)) : undefined;
      if (name) allowed.push(name);
    }
    return { mode: 'any', allowed };
  }
  return { mode: 'none' };
}

/** A named `tool_choice` the request's tools do not include (the message is the simulator's, not OpenAI's verbatim one). */
export function openaiUnknownTool(name: string, headers: Headers): Reply {
  return openaiInvalid(
    `Invalid value for 'tool_choice': no function named '${name}' in 'tools'.`,
    headers,
    'tool_choice',
    'invalid_value',
  );
}

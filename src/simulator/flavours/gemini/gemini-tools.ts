/**
 * What a generateContent request offers as tools: the `functionDeclarations`
 * of every tool (schema in `parametersJsonSchema` or the OpenAPI-style
 * `parameters`; search and code tools are never called here), the mode of
 * `toolConfig.functionCallingConfig` (AUTO, ANY with `allowedFunctionNames`,
 * NONE, VALIDATED), and whether the last turn is the user's words or
 * `functionResponse` parts. Proto JSON takes camelCase and snake_case names.
 */
import type { Reply } from '../../flavour.js';
import type { OfferedTool, ToolChoice, ToolOffer } from '../../tool-calls.js';
import { arr, isObject, type JsonObject, str } from '../json.js';
import { geminiInvalid } from './gemini-wire.js';

/** A field under its camelCase or snake_case name. */
function field(object: JsonObject, camel: string, snake: string): unknown {
  return object[camel] ?? object[snake];
}

export function generateToolOffer(body: JsonObject, contents: readonly unknown[]): ToolOffer {
  const tools: OfferedTool[] = [];
  for (const tool of arr(body.tools) ?? []) {
    if (!isObject(tool)) continue;
    for (const declaration of arr(field(tool, 'functionDeclarations', 'function_declarations')) ?? []) {
      if (!isObject(declaration)) continue;
      const name = str(declaration.name);
      const parameters =
        field(declaration, 'parametersJsonSchema', 'parameters_json_schema') ?? declaration.parameters;
      if (name) tools.push({ name, parameters });
    }
  }
  const last = contents.at(-1);
  const lastIsUser =
    isObject(last) &&
    (last.role === undefined || last.role === 'user') &&
    !(arr(last.parts) ?? []).some(
      (part) => isObject(part) && field(part, 'functionResponse', 'function_response') !== undefined,
    );
  return { tools, choice: readChoice(body), lastIsUser };
}

function readChoice(body: JsonObject): ToolChoice {
  const toolConfig = field(body, 'toolConfig', 'tool_config');
  const config = isObject(toolConfig)
    ? field(toolConfig, 'functionCallingConfig', 'function_calling_config')
    : undefined;
  if (!isObject(config)) return { mode: 'any' };
  const mode = str(config.mode)?.toUpperCase();
  if (mode === 'NONE') return { mode: 'none' };
  const allowed = (arr(field(config, 'allowedFunctionNames', 'allowed_function_names')) ?? []).filter(
    (name): name is string => typeof name === 'string',
  );
  // Allowed names only restrict the choice in ANY mode.
  return mode === 'ANY' && allowed.length > 0 ? { mode: 'any', allowed } : { mode: 'any' };
}

/** Characters of the function calls and responses in a turn's parts: counted like text. */
export function functionPartChars(parts: unknown): number {
  let chars = 0;
  for (const part of arr(parts) ?? []) {
    if (!isObject(part)) continue;
    const call = field(part, 'functionCall', 'function_call');
    const response = field(part, 'functionResponse', 'function_response');
    if (call !== undefined) chars += JSON.stringify(call).length;
    if (response !== undefined) chars += JSON.stringify(response).length;
  }
  return chars;
}

/** `allowedFunctionNames` naming no declared function (the simulator's wording). */
export function geminiUnknownTool(name: string): Reply {
  return geminiInvalid(
    `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: function '${name}' is not declared in tools\n`,
  );
}

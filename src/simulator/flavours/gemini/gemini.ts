/**
 * The Gemini flavour: `x-goog-api-key` header or `?key=`,
 * `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`
 * (SSE with `alt=sse`, else a streamed JSON array), `:countTokens`,
 * `:embedContent` and `:batchEmbedContents` (gemini-embed.ts), and the
 * model list (gemini-models.ts).
 * TPM counts input tokens only (PROVIDERS.md §4.1); no rate-limit headers.
 */
import type { SimulatorConfig } from '../../config.js';
import type { Answer } from '../../content.js';
import type { Call, CallIds, FlavourModule, Reply, StreamFrames, UsageReport } from '../../flavour.js';
import { NO_CACHE } from '../../flavour.js';
import { charTokens } from '../../tokens.js';
import { decideTool } from '../../tool-calls.js';
import { arr, count, isObject, type JsonObject, str, textOf } from '../json.js';
import { parseEmbed } from './gemini-embed.js';
import { geminiModelsReply } from './gemini-models.js';
import { functionPartChars, geminiUnknownTool, generateToolOffer } from './gemini-tools.js';
import {
  GEMINI_JSON,
  GEMINI_STREAM_ERROR,
  geminiAuthError,
  geminiError,
  geminiFault,
  geminiInvalid,
  geminiRateLimited,
} from './gemini-wire.js';

/** A function call ends with STOP: the `functionCall` part says what the answer is. */
const FINISH = { stop: 'STOP', length: 'MAX_TOKENS', tool_call: 'STOP' } as const;

function usageMetadata(usage: UsageReport, withOutput: boolean) {
  const prompt = usage.input.tokens;
  const output = withOutput ? usage.output : 0;
  return {
    promptTokenCount: prompt,
    ...(withOutput ? { candidatesTokenCount: output } : {}),
    totalTokenCount: prompt + output,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function parseGenerate(
  body: JsonObject,
  model: string,
  countOnly: boolean,
  stream: boolean,
  sse: boolean,
): Call | Reply {
  const contents = arr(body.contents);
  if (!contents) return geminiInvalid('* GenerateContentRequest.contents: contents is not specified\n');
  let chars = 0;
  let echo = '';
  for (const content of contents) {
    if (!isObject(content)) continue;
    const text = textOf(content.parts);
    chars += text.length + functionPartChars(content.parts);
    if (content.role === undefined || content.role === 'user') echo = text;
  }
  if (isObject(body.systemInstruction)) chars += textOf(body.systemInstruction.parts).length;
  if (body.tools !== undefined) chars += JSON.stringify(body.tools).length;
  const tokens = charTokens(chars);
  const input = { tokens, ...NO_CACHE };
  if (countOnly) {
    return {
      endpoint: 'gemini_count_tokens',
      model,
      scopeModel: model,
      stream: false,
      cost: undefined,
      input,
      maxOutput: 0,
      choices: 1,
      echo: '',
      generates: false,
      render: {
        body: () =>
          JSON.stringify({
            totalTokens: tokens,
            promptTokensDetails: [{ modality: 'TEXT', tokenCount: tokens }],
          }),
      },
    };
  }
  const config = isObject(body.generationConfig) ? body.generationConfig : {};
  const choices = count(config.candidateCount) || 1;
  if (choices > 8)
    return geminiInvalid(
      '* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8\n',
    );
  // Native requests name it `service_tier` (proto JSON also takes `serviceTier`); standard when unset.
  const tool = decideTool(generateToolOffer(body, contents));
  if (tool.kind === 'unknown') return geminiUnknownTool(tool.name);
  const serviceTier = str(body.service_tier) ?? str(body.serviceTier) ?? 'standard';
  if (!GEMINI_TIERS.has(serviceTier.toLowerCase()))
    return geminiInvalid(`Invalid value at 'service_tier', "${serviceTier}"`);
  return {
    endpoint: 'generate',
    model,
    scopeModel: model,
    stream,
    cost: { requests: 1, input: tokens, output: 0, outputMode: 'produced' },
    input,
    maxOutput: count(config.maxOutputTokens),
    choices,
    echo,
    generates: true,
    ...(tool.kind === 'call' && { tool: tool.tool }),
    serviceTier,
    render: generateRenderer(model, choices, sse),
  };
}

const GEMINI_TIERS: ReadonlySet<string> = new Set(['standard', 'flex', 'priority']);

/**
 * The parts of an answer: its text, or one `functionCall` part (none when
 * the output cap cut the call short: Gemini sends no half call).
 */
function partsJson(answer: Answer, text: string): string {
  const call = answer.toolCall;
  if (!call) return `[{"text":${JSON.stringify(text)}}]`;
  return call.input
    ? `[{"functionCall":{"name":${JSON.stringify(call.name)},"args":${JSON.stringify(call.input)}}}]`
    : '[]';
}

function generateRenderer(model: string, choices: number, sse: boolean) {
  const responseId = (ids: CallIds) => `sim${ids.requestId.slice(-12)}`;
  const candidate = (index: number, parts: string, finish?: string) =>
    `{"content":{"parts":${parts},"role":"model"}${finish ? `,"finishReason":"${finish}"` : ''},"index":${index}}`;
  const textCandidate = (index: number, text: string, finish?: string) =>
    candidate(index, `[{"text":${JSON.stringify(text)}}]`, finish);
  return {
    body(answer: Answer, usage: UsageReport | undefined, ids: CallIds): string {
      const list = Array.from({ length: choices }, (_, i) =>
        candidate(i, partsJson(answer, answer.text), FINISH[answer.finish]),
      );
      const meta = usage ? `,"usageMetadata":${JSON.stringify(usageMetadata(usage, true))}` : '';
      return `{"candidates":[${list.join(',')}]${meta},"modelVersion":${JSON.stringify(model)},"responseId":"${responseId(ids)}"}`;
    },
    stream(ids: CallIds, answer: Answer): StreamFrames {
      let first = true;
      let inputUsage: UsageReport | undefined;
      const tail = `,"modelVersion":${JSON.stringify(model)},"responseId":"${responseId(ids)}"}`;
      // SSE frames end with CRLF CRLF; without alt=sse the chunks are elements of one JSON array.
      const frame = (json: string) => {
        if (sse) return `data: ${json}\r\n\r\n`;
        const sep = first ? '[' : ',\r\n';
        first = false;
        return sep + json;
      };
      const chunk = (candidates: string, usage: UsageReport | undefined, withOutput: boolean) =>
        frame(
          `{"candidates":[${candidates}]${usage ? `,"usageMetadata":${JSON.stringify(usageMetadata(usage, withOutput))}` : ''}${tail}`,
        );
      // The Gemini API streams a function call whole, in the closing chunk (no partial arguments:
      // `partialArgs` is "not supported in Gemini API"); its fragments are produced, not sent, until then.
      const call = answer.toolCall;
      return {
        contentType: sse ? 'text/event-stream' : GEMINI_JSON,
        start(usage) {
          inputUsage = usage;
          return '';
        },
        piece: (text, choice) => (call ? '' : chunk(textCandidate(choice, text), inputUsage, false)),
        end(answer, usage) {
          const parts = call ? partsJson(answer, '') : `[{"text":""}]`;
          const list = Array.from({ length: choices }, (_, i) => candidate(i, parts, FINISH[answer.finish]));
          const out = chunk(list.join(','), usage, true);
          return sse ? out : `${out}]`;
        },
        error: () =>
          sse ? `data: ${GEMINI_STREAM_ERROR}\r\n\r\n` : `${first ? '[' : ',\r\n'}${GEMINI_STREAM_ERROR}]`,
        corrupt(text, choice) {
          const whole = call
            ? chunk(candidate(choice, partsJson(answer, ''), FINISH[answer.finish]), inputUsage, false)
            : chunk(textCandidate(choice, text), inputUsage, false);
          return sse
            ? `${whole.slice(0, Math.floor(whole.length / 2))}\r\n\r\n`
            : whole.slice(0, Math.floor(whole.length / 2));
        },
      };
    },
  };
}

export function geminiFlavour(config: SimulatorConfig): FlavourModule {
  const tier = config.gemini.tier;
  return {
    flavour: 'gemini',
    keyOf(headers, url) {
      const key = headers['x-goog-api-key'];
      if (typeof key === 'string' && key) return key;
      return url.searchParams.get('key') || undefined;
    },
    parse(body, ctx) {
      if (ctx.endpoint === 'models') return geminiModelsReply(config, ctx.pathModel);
      const model = ctx.pathModel ?? '';
      if (!isObject(body)) return geminiInvalid('Invalid JSON payload received. Expected an object.');
      if (ctx.endpoint === 'gemini_embed' || ctx.endpoint === 'gemini_batch_embed')
        return parseEmbed(body, model, ctx.endpoint === 'gemini_batch_embed');
      const counting = ctx.endpoint === 'gemini_count_tokens';
      // countTokens also takes a whole request, `{generateContentRequest: {model, contents, …}}`.
      const counted = counting && isObject(body.generateContentRequest) ? body.generateContentRequest : body;
      return parseGenerate(counted, model, counting, ctx.pathStream, ctx.sse);
    },
    ids(ordinal, now) {
      const seed = (config.seed >>> 0).toString(16).padStart(8, '0');
      return {
        ordinal,
        requestId: `${seed}${ordinal.toString(16).padStart(16, '0')}`,
        created: Math.floor(now / 1000),
      };
    },
    // Which tier served an admitted call (priority may be downgraded): PROVIDERS.md "2026 changes".
    headers: (_views, _now, ids) => ({
      'content-type': GEMINI_JSON,
      ...(ids.serviceTier !== undefined && { 'x-gemini-service-tier': ids.serviceTier }),
    }),
    rateLimited: (refusal, call) => geminiRateLimited(refusal, call.model, tier),
    fault: (kind, spec, call) => geminiFault(kind, spec, call.model, tier),
    authError: (missing) => geminiAuthError(missing),
    invalidJson: () => geminiInvalid('Invalid JSON payload received. Unexpected token.'),
    notFound: (method, path) =>
      geminiError(404, 'NOT_FOUND', `The requested URL ${path} was not found (${method}).`),
  };
}

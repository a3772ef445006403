/**
 * Upstream streams shaped as the providers send them (PROVIDERS.md §1.8,
 * §8.7, §3.5, §8.13, §4.2, and the providers' streaming docs): field order,
 * the extra members a reader must pass over (`obfuscation`,
 * `system_fingerprint`, `ping`, `thoughtSignature`, `createTime`), and the
 * separators each uses.
 */

const openAIHead =
  '"id":"chatcmpl-CVFj","object":"chat.completion.chunk","created":1761564674,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_1"';

function openAIChunk(choice: string, usage = 'null', extra = ''): string {
  return `data: {${openAIHead},"choices":[${choice}],"usage":${usage}${extra}}\n\n`;
}

/** Text, then two parallel tool calls with arguments in fragments, `include_usage`. */
export const OPENAI_TOOL_STREAM =
  openAIChunk(
    '{"index":0,"delta":{"role":"assistant","content":"Grüße 👋, checking","refusal":null},"logprobs":null,"finish_reason":null}',
    'null',
    ',"obfuscation":"a1"',
  ) +
  openAIChunk('{"index":0,"delta":{"content":" both."},"logprobs":null,"finish_reason":null}') +
  openAIChunk(
    '{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_paris","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}',
  ) +
  openAIChunk(
    '{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\": \\"Pa"}}]},"logprobs":null,"finish_reason":null}',
  ) +
  openAIChunk(
    '{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ris\\"}"}}]},"logprobs":null,"finish_reason":null}',
  ) +
  openAIChunk(
    '{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_rome","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\": \\"Rome\\"}"}}]},"logprobs":null,"finish_reason":null}',
  ) +
  openAIChunk('{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}') +
  openAIChunk(
    '',
    '{"prompt_tokens":82,"completion_tokens":41,"total_tokens":123,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}',
    ',"obfuscation":"8618FsxJD2gV"',
  ) +
  'data: [DONE]\n\n';

/** An error after the 200 (§1.6): the chunk OpenAI sends, then the body ends. */
export const OPENAI_ERROR_STREAM =
  openAIChunk(
    '{"index":0,"delta":{"role":"assistant","content":"Hel","refusal":null},"logprobs":null,"finish_reason":null}',
  ) +
  'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n';

/** Text with a ping between blocks, a tool_use whose input starts with an empty fragment, cache usage. */
export const ANTHROPIC_TOOL_STREAM = `event: message_start
data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-6","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":100,"cache_read_input_tokens":2048,"output_tokens":2}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Grüße 👋, "}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"let me check."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": \\"San Fra"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ncisco\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

`;

/** The docs' mid-stream overload (§8.13). */
export const ANTHROPIC_OVERLOAD_STREAM = `event: message_start
data: {"type":"message_start","message":{"id":"msg_1nZd","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-6","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: error
data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

`;

const geminiTail =
  '"modelVersion":"gemini-2.5-flash","createTime":"2026-03-10T14:54:45.066123Z","responseId":"tTCwacuEBMvn"';

/** `alt=sse`: text over two chunks, a call without id, the last chunk's empty text carrying a thought signature. */
export const GEMINI_SSE_STREAM =
  `data: {"candidates": [{"content": {"parts": [{"text": "Grüße 👋, "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,"totalTokenCount": 11,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 11}]},${geminiTail}}\r\n\r\n` +
  `data: {"candidates": [{"content": {"parts": [{"text": "checking."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 4,"totalTokenCount": 15},${geminiTail}}\r\n\r\n` +
  `data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"city": "Paris"}},"thoughtSignature": "AY89a18i"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 9,"totalTokenCount": 20},${geminiTail}}\r\n\r\n` +
  `data: {"candidates": [{"content": {"parts": [{"text": "","thoughtSignature": "AY89a18iOcFu"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 12,"totalTokenCount": 40,"cachedContentTokenCount": 4,"thoughtsTokenCount": 17},${geminiTail}}\r\n\r\n`;

/** Without `alt=sse`: one pretty-printed JSON array, elements separated by `\n,\r\n`. */
export const GEMINI_JSON_STREAM = `[{
  "candidates": [
    {
      "content": {
        "parts": [
          {
            "text": "Grüße 👋, "
          }
        ],
        "role": "model"
      },
      "index": 0
    }
  ],
  "usageMetadata": {
    "promptTokenCount": 11,
    "totalTokenCount": 11
  },
  "modelVersion": "gemini-2.5-flash",
  "responseId": "tTCwacuEBMvn"
}
,\r
{
  "candidates": [
    {
      "content": {
        "parts": [
          {
            "text": "it is sunny."
          }
        ],
        "role": "model"
      },
      "finishReason": "MAX_TOKENS",
      "index": 0
    }
  ],
  "usageMetadata": {
    "promptTokenCount": 11,
    "candidatesTokenCount": 6,
    "totalTokenCount": 17
  },
  "modelVersion": "gemini-2.5-flash",
  "responseId": "tTCwacuEBMvn"
}
]`;

/** A 429 inside the array (§4.2: errors appear as `[{"error":{…}}]`). */
export const GEMINI_JSON_ERROR_STREAM = `[{
  "error": {
    "code": 429,
    "message": "Resource has been exhausted (e.g. check quota).",
    "status": "RESOURCE_EXHAUSTED"
  }
}
]`;

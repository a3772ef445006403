/** A long-context topology and canned Anthropic answers shared by the size-class tests. */
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import type { ScriptedReply } from './kit.js';

export const ITPM = 'deployment:claude:input_tokens:minute';
export const OTPM = 'deployment:claude:output_tokens:minute';
export const RPM = 'deployment:claude:requests:minute';
export const LONG_ITPM = 'deployment:claude:long_context:input_tokens:minute';
export const LONG_OTPM = 'deployment:claude:long_context:output_tokens:minute';

/** Anthropic's shape: ITPM and OTPM of their own above 200 K input tokens, RPM shared. */
export function topology(
  long: { itpm: number; otpm: number } = { itpm: 600_000, otpm: 20_000 },
): GovernorTopology {
  return {
    modelGroups: {
      claude: {
        deployments: [
          {
            id: 'claude',
            provider: 'anthropic',
            baseUrl: 'http://claude.test',
            model: 'claude-sonnet-4-6',
            limits: { rpm: 1_000, itpm: 2_000_000, otpm: 400_000 },
            longContext: { aboveInputTokens: 200_000, ...long },
          },
        ],
      },
    },
    safetyMargin: 0,
  };
}

export function message(input: number, output: number, extra: Record<string, number> = {}): ScriptedReply {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'request-id': 'req_up' },
    body: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: output, ...extra },
    },
  };
}

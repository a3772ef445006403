/**
 * Canned OpenAI upstream answers and small helpers shared by the governor's
 * tests (governor*.test.ts).
 */
import type { Answer } from '../../src/runtime/exchange/answer.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { call, type FakeReply, openaiDeployment, type Rig, relayAll, type ScriptedReply } from './kit.js';

export const OK: ScriptedReply = {
  status: 200,
  headers: { 'content-type': 'application/json', 'x-request-id': 'req_up' },
  body: {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
  },
};
/** An Anthropic message, answered whole. */
export const ANTHROPIC_OK: ScriptedReply = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: {
    id: 'msg',
    type: 'message',
    role: 'assistant',
    content: [],
    usage: { input_tokens: 1, output_tokens: 1 },
  },
};
export const SERVER_ERROR = (headers: Record<string, string> = {}): ScriptedReply => ({
  status: 500,
  headers: { 'content-type': 'application/json', ...headers },
  body: { error: { message: 'The server had an error.', type: 'server_error', param: null, code: null } },
});
export const RATE_LIMITED = (headers: Record<string, string>): ScriptedReply => ({
  status: 429,
  headers: { 'content-type': 'application/json', ...headers },
  body: {
    error: { message: 'Rate limit reached.', type: 'requests', param: null, code: 'rate_limit_exceeded' },
  },
});
export const QUOTA: ScriptedReply = {
  status: 429,
  headers: { 'content-type': 'application/json' },
  body: {
    error: {
      message: 'You exceeded your current quota, please check your plan and billing details.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    },
  },
};

export const ONE: GovernorTopology = { modelGroups: { g: { deployments: [openaiDeployment('a')] } } };
export const TWO: GovernorTopology = {
  modelGroups: { g: { deployments: [openaiDeployment('a'), openaiDeployment('b')] } },
};

/** Relays the body of the latest reply when the answer is a success (that settles it). */
export function finish(rig: Rig, answer: Answer): void {
  if (answer.relay) relayAll(answer, rig.transport.replies.at(-1) as FakeReply);
}

/** Starts a served call without awaiting it, so the test can move the clock. */
export function start(rig: Rig, c = call('openai')) {
  const state: { answer?: Answer } = {};
  const done = rig.serve(c).then((answer) => {
    state.answer = answer;
    return answer;
  });
  return { state, done };
}

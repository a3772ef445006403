/**
 * Reads the `requests` of an Anthropic message batch
 * (docs.anthropic.com/en/api/creating-message-batches): `{custom_id, params}`
 * each, `custom_id` matching `^[a-zA-Z0-9_-]{1,64}$`. Anthropic refuses the
 * whole create for one bad request; here a bad one becomes an errored
 * result and the rest run.
 */
import { bodyProblem, type Intake, IntakeBuilder, isObject, type LineTokens } from './intake.js';

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Every Anthropic batch line calls Messages. */
export const MESSAGES_URL = '/v1/messages';

export function readAnthropicRequests(requests: readonly unknown[], tokensOf: LineTokens): Intake {
  const intake = new IntakeBuilder(tokensOf);
  requests.forEach((request, i) => {
    const n = i + 1;
    if (!isObject(request)) {
      intake.problem(n, undefined, {
        code: 'invalid_request',
        message: `requests.${i}: Input should be a valid dictionary.`,
      });
      return;
    }
    const customId = request.custom_id;
    if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) {
      intake.problem(n, undefined, {
        code: 'invalid_custom_id',
        message: `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'.`,
      });
      return;
    }
    if (intake.has(customId)) {
      intake.problem(n, undefined, {
        code: 'duplicate_custom_id',
        message: `requests.${i}.custom_id: '${customId}' is already used by an earlier request; each request needs its own.`,
      });
      return;
    }
    const problem = bodyProblem(request.params, 'params');
    if (problem) intake.problem(n, customId, { ...problem, message: `requests.${i}: ${problem.message}` });
    else intake.line(customId, MESSAGES_URL, request.params as Record<string, unknown>);
  });
  return intake.finish();
}

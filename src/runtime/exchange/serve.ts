/**
 * A call from start to answer, the same for every face: the governor runs
 * it (admission, routing, attempts, retries, fallbacks), then the outcome
 * becomes an `Answer`. An outcome that carries no tenant budget (a refusal
 * before admission, an upstream error) gets it read from the store, so
 * every answer a tenant gets tells it where it stands.
 */
import type { Governor } from '../governor.js';
import { type Answer, type AnswerOptions, answerOf, errorAnswer } from './answer.js';
import type { Call, Outcome, Transport, UpstreamReply } from './call.js';

export async function serveCall<R extends UpstreamReply>(
  governor: Governor,
  call: Call,
  transport: Transport<R>,
  options: AnswerOptions,
): Promise<Answer> {
  let outcome: Outcome<R>;
  try {
    outcome = await governor.execute(call, transport);
  } catch (error) {
    return errorAnswer(error, options);
  }
  if (outcome.kind !== 'success' && outcome.budget === undefined && outcome.tenant !== undefined) {
    outcome = { ...outcome, budget: await governor.tenantBudget(outcome.tenant) };
  }
  return answerOf(outcome, call, options);
}

/**
 * A call from start to answer, the same for every face: the governor runs
 * it (admission, routing, attempts, retries, fallbacks), then the outcome
 * becomes an `Answer`. An outcome that carries no tenant budget (a refusal
 * before admission, an upstream error) gets it read from the store, so
 * every answer a tenant gets tells it where it stands. A non-streamed
 * answer translated from another API is read whole first (`crossed-answer.ts`).
 */
import type { Governor } from '../governor.js';
import { type Answer, type AnswerOptions, answerOf, errorAnswer } from './answer.js';
import type { Call, Outcome, Transport, UpstreamReply } from './call.js';
import { crossedAnswer } from './crossed-answer.js';

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
  if (outcome.kind === 'success' && outcome.target.crossing && !call.stream) {
    try {
      return await crossedAnswer(outcome, options, Math.floor(governor.clock.now() / 1000));
    } catch (error) {
      return errorAnswer(error, options);
    }
  }
  return answerOf(outcome, call, options);
}

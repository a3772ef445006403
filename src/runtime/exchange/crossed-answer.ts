/**
 * A non-streamed answer from a deployment of another API family, written
 * again in the caller's API: read whole (a JSON answer cannot be translated
 * before it ends), settled with the upstream's own usage through the relay
 * like any answer, then translated (`providers/translate/`). An upstream
 * answer the caller's API cannot hold (several candidates, thinking blocks)
 * is a 502 naming what did not fit; its tokens were still used and settled.
 */
import { refusal } from '../refusal.js';
import { type Answer, type AnswerOptions, refusalAnswer, successHeaders, successReport } from './answer.js';
import type { AnswerCapture } from './answer-keeper.js';
import type { SuccessOutcome, UpstreamReply } from './call.js';
import { Relay } from './relay.js';

/** The largest translated answer read (a 128 k-token answer is about 1 MB of JSON). */
export const MAX_CROSSED_BODY = 32 * 1024 * 1024;

export async function crossedAnswer<R extends UpstreamReply>(
  outcome: SuccessOutcome<R>,
  options: AnswerOptions,
  nowSeconds: number,
  /** Where the response cache keeps the answer (undefined: not cached). */
  capture?: AnswerCapture,
): Promise<Answer> {
  const crossing = outcome.target.crossing;
  if (!crossing) throw new Error('crossedAnswer needs a translated call');
  const relay = new Relay(outcome, false);
  let text: string;
  try {
    text = await outcome.reply.text(MAX_CROSSED_BODY);
  } catch (error) {
    relay.fail();
    throw error;
  }
  // Parsed once: the relay settles with its usage, the translator reads it.
  const body = parseJson(text);
  relay.endParsed(body);
  const known = { ...outcome, deployment: outcome.target.deployment.id, usage: relay.usage };
  const read = crossing.to.readAnswer(body);
  if (capture) {
    if (read.ok && Buffer.byteLength(text) <= capture.maxBytes) capture.keep(read.value);
    else capture.drop();
  }
  const written = read.ok ? crossing.from.writeAnswer(read.value, { nowSeconds }) : read;
  if (!written.ok) {
    const what = written.untranslatable.map((u) =>
      u.parameter ? `\`${u.parameter}\`: ${u.reason}` : u.reason,
    );
    const why = refusal(
      'untranslatable_answer',
      `The ${crossing.to.family} deployment answered with what this API cannot express: ${what.join('; ')}.`,
    );
    return refusalAnswer(why, options, known);
  }
  return {
    status: outcome.reply.status,
    headers: successHeaders(outcome, options, 'application/json'),
    body: JSON.stringify(written.value),
    relay: undefined,
    contentLength: undefined,
    report: { ...successReport(outcome), usage: relay.usage },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A scenario turned into its list of requests: when each arrives, from which
 * tenant, in which priority class, how large, streamed or not. A pure
 * function of the scenario and its seed.
 */
import { arrivalSchedule } from './arrivals.js';
import { type PlannedQuestion, QuestionPlanner } from './questions.js';
import { RandomStream } from './random.js';
import { PRIORITY_CLASSES, type PriorityClass, type Scenario } from './scenario.js';
import { drawSize, meanSize } from './sizes.js';

export interface PlannedRequest {
  readonly id: number;
  /** Arrival, ms from the start. */
  readonly at: number;
  readonly tenant: string;
  readonly priority: PriorityClass;
  readonly promptTokens: number;
  /** Length of the answer the simulated model gives (≤ max_tokens). */
  readonly outputTokens: number;
  /** `max_tokens` the request sets; undefined: it sets none (`send_max_tokens: false`). */
  readonly maxTokens: number | undefined;
  readonly stream: boolean;
  /** Longest queue wait this request accepts, when its class sets one. */
  readonly maxWaitMs: number | undefined;
  /** The question it asks (the last user message), when the scenario sets `questions`; else filler text. */
  readonly question?: PlannedQuestion;
}

/**
 * Chat framing the OpenAI tokenizer adds to a two-message prompt: 3 to
 * prime the reply, and per message 3 plus its role (`system`, `user`).
 */
export const CHAT_FRAMING_TOKENS = 11;

/**
 * How a planned request is written so that any proxy carries its answer
 * length: a system message holds the bulk of the prompt and the last user
 * message has exactly as many words as the answer should have tokens (the
 * simulator, in echo mode, answers with the last user message, one token per
 * word, cut at max_tokens).
 */
export function messageSizes(plan: Pick<PlannedRequest, 'promptTokens' | 'outputTokens'>): {
  system: number;
  user: number;
} {
  return { system: Math.max(1, plan.promptTokens - plan.outputTokens), user: Math.max(1, plan.outputTokens) };
}

/** Tokens the provider will count for a planned request once answered (prompt with framing + answer). */
export function plannedTokens(
  plan: Pick<PlannedRequest, 'promptTokens' | 'outputTokens' | 'maxTokens'>,
): number {
  const { system, user } = messageSizes(plan);
  return system + user + CHAT_FRAMING_TOKENS + Math.min(user, plan.maxTokens ?? user);
}

/** Mean tokens a request costs once answered (prompt + framing + answer). */
export function meanRequestTokens(scenario: Scenario): number {
  const sample = () => new RandomStream(scenario.seed, 'mean');
  const output = Math.min(meanSize(scenario.output_tokens, sample), scenario.max_tokens);
  return Math.max(meanSize(scenario.prompt_tokens, sample), output + 1) + CHAT_FRAMING_TOKENS + output;
}

/** Mean arrivals per second: the scenario's rate, or its load times what the TPM limit serves. */
export function arrivalRate(scenario: Scenario): number {
  const { rate, load } = scenario.arrival;
  if (rate !== undefined) return rate;
  const tpm = scenario.provider.limits.tpm as number;
  return ((load as number) * tpm) / 60 / meanRequestTokens(scenario);
}

export function planWorkload(scenario: Scenario, overrides: { durationMs?: number } = {}): PlannedRequest[] {
  const durationMs = overrides.durationMs ?? scenario.duration;
  const times = arrivalSchedule(
    scenario.arrival,
    { ratePerSecond: arrivalRate(scenario), durationMs, maxRequests: scenario.max_requests },
    new RandomStream(scenario.seed, 'arrivals'),
  );
  const tenants = new RandomStream(scenario.seed, 'tenants');
  const classes = new RandomStream(scenario.seed, 'priorities');
  const prompts = new RandomStream(scenario.seed, 'prompt-tokens');
  const outputs = new RandomStream(scenario.seed, 'output-tokens');
  const streams = new RandomStream(scenario.seed, 'stream');
  const shares = scenario.tenants.map((t) => t.share);
  const classWeights = PRIORITY_CLASSES.map((c) => scenario.priorities[c] ?? 0);
  const questions = scenario.questions && new QuestionPlanner(scenario.questions, scenario.seed);
  return times.map((at, id) => {
    const priority = PRIORITY_CLASSES[classes.pick(classWeights)] as PriorityClass;
    const drawn = {
      promptTokens: drawSize(scenario.prompt_tokens, prompts),
      outputTokens: Math.min(drawSize(scenario.output_tokens, outputs), scenario.max_tokens),
    };
    const asked = questions?.next(drawn);
    return {
      id,
      at,
      tenant: (scenario.tenants[tenants.pick(shares)] as Scenario['tenants'][number]).name,
      priority,
      ...(asked?.sizes ?? drawn),
      maxTokens: scenario.send_max_tokens ? scenario.max_tokens : undefined,
      stream: streams.next() < scenario.stream,
      maxWaitMs: scenario.max_wait[priority],
      ...(asked ? { question: asked.question } : {}),
    };
  });
}

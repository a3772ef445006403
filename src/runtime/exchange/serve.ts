/**
 * A call from start to answer, the same for every face: the group's load
 * shapes it first (`under-load.ts`: prompt budget, output clamp), the
 * response cache is asked next (a hit touches no bucket), then the governor runs the call
 * (admission, routing, attempts, retries, fallbacks), then the outcome
 * becomes an `Answer`. An outcome that carries no tenant budget (a refusal
 * before admission, an upstream error) gets it read from the store, so
 * every answer a tenant gets tells it where it stands. A non-streamed
 * answer translated from another API is read whole first (`crossed-answer.ts`).
 */
import type { CacheMiss, ResponseCache } from '../../cache/response-cache.js';
import type { NeutralAnswer } from '../../providers/translate/neutral.js';
import type { Governor } from '../governor.js';
import type { RefusalCode } from '../refusal.js';
import { mayUse } from '../tenants.js';
import { type Answer, type AnswerOptions, answerOf, errorAnswer } from './answer.js';
import type { AnswerCapture } from './answer-keeper.js';
import { cachedAnswer } from './cached-answer.js';
import type { Call, Outcome, Transport, UpstreamReply } from './call.js';
import { crossedAnswer } from './crossed-answer.js';
import { shapeUnderLoad, signalLoad, unshaped } from './under-load.js';

/** Refusals that mean no deployment could serve the call: a stale answer is better than none. */
const STALE_WORTHY: ReadonlySet<RefusalCode> = new Set<RefusalCode>([
  'capacity_exhausted',
  'circuit_open',
  'queue_full',
  'insufficient_quota',
  'upstream_unreachable',
  'upstream_credentials',
  'store_unavailable',
]);

export async function serveCall<R extends UpstreamReply>(
  governor: Governor,
  call: Call,
  transport: Transport<R>,
  options: AnswerOptions,
): Promise<Answer> {
  const idempotency = call.idempotencyKey === undefined ? undefined : governor.idempotency;
  if (!idempotency) return serveUnderLoad(governor, call, transport, options);
  // At most once per tenant and key: the first call runs, a repeat gets its answer (with the load as it is now).
  const waitMs = call.maxWaitMs ?? governor.groups.tenants.resolve(call.tenant)?.maxWaitMs ?? 30_000;
  return idempotency.serve(
    call,
    options,
    waitMs,
    () => serveUnderLoad(governor, call, transport, options),
    (replay) => signalLoad(replay, governor, unshaped(governor, call)),
  );
}

async function serveUnderLoad<R extends UpstreamReply>(
  governor: Governor,
  call: Call,
  transport: Transport<R>,
  options: AnswerOptions,
): Promise<Answer> {
  // The cache, admission and the upstream all see the call as the load shaped it (trimmed, clamped).
  const shaped = shapeUnderLoad(governor, call);
  const answer = await serveShaped(governor, shaped.call, transport, options);
  return signalLoad(answer, governor, shaped);
}

async function serveShaped<R extends UpstreamReply>(
  governor: Governor,
  call: Call,
  transport: Transport<R>,
  options: AnswerOptions,
): Promise<Answer> {
  const cache = governor.cache;
  if (!cache) return execute(governor, call, transport, options, undefined);
  const group = call.model === undefined ? undefined : governor.groups.group(call.model);
  const tenant = governor.groups.tenants.resolve(call.tenant);
  // The cache answers only a call the governor would have taken: a known tenant allowed on the group.
  if (!group?.cache || !tenant || !mayUse(tenant, group.name))
    return execute(governor, call, transport, options, undefined);
  const lookup = await cache.lookup(call, group, tenant.id);
  if (lookup.kind === 'hit') {
    const hit = fromCache(lookup.answer, call, options, governor, 'hit', lookup.request.streamUsage);
    if (hit) return hit;
  }
  if (lookup.kind !== 'miss')
    return labelled(await execute(governor, call, transport, options, undefined), 'bypass');
  const miss = lookup.miss;
  const leader = cache.follow(miss);
  if (leader) {
    // An identical call is on its way upstream: its answer serves this one too.
    const answer = await leader;
    const served = answer && fromCache(answer, call, options, governor, 'hit', miss.request.streamUsage);
    if (served) return served;
  }
  cache.missed(miss);
  const answer = await execute(governor, call, transport, options, { cache, miss, leads: !leader });
  return labelled(answer, 'miss');
}

interface Caching {
  readonly cache: ResponseCache;
  readonly miss: CacheMiss;
  /** This call leads its identical followers: its answer is kept and handed to them. */
  readonly leads: boolean;
}

async function execute<R extends UpstreamReply>(
  governor: Governor,
  call: Call,
  transport: Transport<R>,
  options: AnswerOptions,
  caching: Caching | undefined,
): Promise<Answer> {
  let outcome: Outcome<R>;
  try {
    outcome = await governor.execute(call, transport);
  } catch (error) {
    if (caching?.leads) caching.cache.release(caching.miss);
    return errorAnswer(error, options);
  }
  if (outcome.kind !== 'success') {
    if (caching?.leads) caching.cache.release(caching.miss);
    // No deployment could serve: refused for capacity, circuits or quota, or failing after retries.
    const unserved =
      outcome.kind === 'refused'
        ? STALE_WORTHY.has(outcome.refusal.code)
        : outcome.error.kind !== 'non_retryable';
    if (caching && unserved) {
      const stale = await caching.cache.stale(caching.miss);
      const served =
        stale && fromCache(stale, call, options, governor, 'stale', caching.miss.request.streamUsage);
      if (served) return served;
    }
    if (outcome.budget === undefined && outcome.tenant !== undefined)
      outcome = { ...outcome, budget: await governor.tenantBudget(outcome.tenant) };
    return answerOf(outcome, call, options);
  }
  const capture: AnswerCapture | undefined = caching?.leads ? caching.cache.capture(caching.miss) : undefined;
  if (outcome.target.crossing && !call.stream) {
    try {
      return await crossedAnswer(outcome, options, Math.floor(governor.clock.now() / 1000), capture);
    } catch (error) {
      capture?.drop();
      return errorAnswer(error, options);
    }
  }
  return answerOf(outcome, call, options, capture);
}

function fromCache(
  answer: NeutralAnswer,
  call: Call,
  options: AnswerOptions,
  governor: Governor,
  how: 'hit' | 'stale',
  streamUsage: boolean,
): Answer | undefined {
  return cachedAnswer(answer, call, options, {
    how,
    streamUsage,
    nowSeconds: Math.floor(governor.clock.now() / 1000),
    priority: undefined,
  });
}

/** Says what the cache did, on an answer that does not say it already (a stale one does). */
function labelled(answer: Answer, how: 'miss' | 'bypass'): Answer {
  if (!answer.headers.includes('x-sluice-cache')) answer.headers.push('x-sluice-cache', how);
  return answer;
}

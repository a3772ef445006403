// governor.schedule(meta, fn, usageOf): any call (an SDK method, your own HTTP client, a queue worker)
// admitted, queued and routed like governor.fetch's, with `fn` making the call. Offline against the
// built-in simulator:
//   node examples/library/schedule.mjs
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { createGovernor, GovernorRefusalError } from 'sluice';
import { startSimulator } from 'sluice/simulator';

const sim = await startSimulator({ defaults: { rpm: 600 }, response: { tokens: 20 } });

const deployment = (id) => ({
  id,
  provider: 'openai',
  base_url: `${sim.url}/v1`,
  api_key: `sk-${id}`, // handed to fn as ctx.deployment.apiKey
  model: 'gpt-4o-mini',
  limits: { rpm: 300, tpm: 100_000 },
});

const events = [];
const governor = createGovernor(
  {
    model_groups: { 'gpt-4o-mini': { deployments: [deployment('east'), deployment('west')] } },
    tiers: { batch: { rpm: 3, priority: 'low', max_wait_ms: 0 } },
    tenants: [{ id: 'nightly-report', tier: 'batch' }],
    retry: { base_ms: 10 }, // backoff between attempts (default 500 ms, doubling, with jitter)
  },
  // Observers see what the gateway's metrics and logs see: admitted, refused, retry, fallback, settled, …
  { observers: [{ fallback: (e) => events.push(`${e.from} → ${e.to} after ${e.errorKind}`) }] },
);

/** One chat call through the deployment the governor picked; the SDK's own retries are off: Sluice retries. */
function ask(question, { fault } = {}) {
  return ({ deployment, signal }) =>
    new OpenAI({
      baseURL: deployment.baseUrl,
      apiKey: deployment.apiKey,
      maxRetries: 0,
    }).chat.completions.create(
      { model: deployment.model, messages: [{ role: 'user', content: question }] },
      { signal, ...(fault && { headers: { 'x-sim-fault': fault } }) },
    );
}

/** What the call really used: the reservation is settled with it (refunding the unused part). */
const usageOf = (reply) => ({
  inputTokens: reply.usage.prompt_tokens,
  outputTokens: reply.usage.completion_tokens,
});

try {
  // 1. A call: reserved on the group's deployment buckets (and the tenant's, when it names one), run, settled.
  const reply = await governor.schedule(
    { model: 'gpt-4o-mini', inputTokens: 20, maxOutputTokens: 200 },
    ask('Say hello'),
    usageOf,
  );
  console.log('1. answered:', reply.choices[0].message.content);

  // 2. fn throws an error with an HTTP `status` (the SDKs' APIError): it is an upstream answer. The
  //    deployment's adapter classifies it like any other (a 429 pauses that bucket, a 5xx counts against
  //    the circuit) and the governor retries it, here on another deployment.
  let attempts = 0;
  const retried = await governor.schedule(
    { model: 'gpt-4o-mini', inputTokens: 20, maxOutputTokens: 200 },
    (ctx) => {
      attempts += 1;
      return ask('Try again', { fault: attempts === 1 ? '503' : undefined })(ctx);
    },
  );
  assert.equal(attempts, 2);
  assert.ok(retried.choices[0].message.content);
  console.log('2. served on the second attempt:', events.join(', '));

  // 3. fn throws anything else (no HTTP status): your own code failed. It is not run again; schedule
  //    rejects with that very error, and the reservation is settled as estimated.
  let runs = 0;
  const mine = new Error('could not render the prompt');
  const thrown = await governor
    .schedule({ model: 'gpt-4o-mini', inputTokens: 20, maxOutputTokens: 200 }, async () => {
      runs += 1;
      throw mine;
    })
    .catch((error) => error);
  assert.equal(thrown, mine);
  assert.equal(runs, 1);
  console.log('3. rethrown as is, run once:', thrown.message);

  // 4. Refused: GovernorRefusalError with the same code and HTTP status the gateway would answer with.
  //    The batch tier allows 3 requests a minute and waits 0 ms for capacity.
  const meta = { model: 'gpt-4o-mini', tenant: 'nightly-report', inputTokens: 20, maxOutputTokens: 50 };
  for (let i = 0; i < 3; i++) await governor.schedule(meta, ask(`Line ${i}`), usageOf);
  const refused = await governor.schedule(meta, ask('One more')).catch((error) => error);
  assert.ok(refused instanceof GovernorRefusalError);
  assert.equal(refused.code, 'tenant_rate_limited');
  assert.equal(refused.status, 429);
  assert.equal(refused.shouldRetry, true);
  console.log(
    `4. refused: ${refused.code} (${refused.status}), retry in ${refused.retryAfterMs} ms: ${refused.message}`,
  );

  // 5. A tenant the configuration does not declare is refused (see tenants.mjs for `unknown_tenants`).
  const stranger = await governor
    .schedule({ ...meta, tenant: 'someone-else' }, ask('Hello?'))
    .catch((error) => error);
  assert.equal(stranger.code, 'unknown_tenant');
  console.log(`5. refused: ${stranger.code} (${stranger.status})`);
} finally {
  await governor.close();
  await sim.close();
}

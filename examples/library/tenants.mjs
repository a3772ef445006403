// Tenants, unknown tenants, undeclared models and forwarding in governor.fetch. Offline against the
// built-in simulator:
//   node examples/library/tenants.mjs
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ConfigError, createGovernor } from 'sluice';
import { startSimulator } from 'sluice/simulator';

const sim = await startSimulator({ defaults: { rpm: 600 }, response: { tokens: 5 } });
const hello = [{ role: 'user', content: 'Hello' }];

const base = {
  model_groups: {
    'gpt-4o-mini': {
      deployments: [{ id: 'main', provider: 'openai', base_url: `${sim.url}/v1`, model: 'gpt-4o-mini' }],
    },
  },
  // A tier is a budget of Sluice's own (not shared with the provider's limits), a priority and a longest wait.
  tiers: {
    free: { rpm: 2, priority: 'low', max_wait_ms: 0 },
    pro: { rpm: 100, tpm: 100_000, priority: 'high', max_wait_ms: 10_000 },
  },
  tenants: [
    { id: 'acme', tier: 'free' },
    { id: 'globex', tier: 'pro' },
  ],
};

/** What went upstream, through the `fetch` option (the one that reaches providers; default: global fetch). */
const sent = [];
const recordingFetch = (url, init) => {
  sent.push({ url: String(url), headers: new Headers(init?.headers) });
  return fetch(url, init);
};

/** An openai client for `tenant` (named per call in the `x-sluice-tenant` header). */
function client(governor, tenant, extra = {}) {
  return new OpenAI({
    apiKey: 'sk-app-key',
    baseURL: `${sim.url}/v1`,
    fetch: governor.fetch,
    maxRetries: 0, // show the 429 instead of letting the SDK sleep out its Retry-After
    ...(tenant && { defaultHeaders: { 'x-sluice-tenant': tenant } }),
    ...extra,
  });
}

const governor = createGovernor(base, { fetch: recordingFetch });
try {
  // 1. Each tenant draws on its own tier's budget: acme's third call in a minute is refused with the
  //    provider's own 429 (the SDK raises RateLimitError), Retry-After and x-sluice-refusal.
  const acme = client(governor, 'acme');
  await acme.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
  await acme.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
  const limited = await acme.chat.completions
    .create({ model: 'gpt-4o-mini', messages: hello })
    .catch((e) => e);
  assert.ok(limited instanceof OpenAI.RateLimitError);
  assert.equal(limited.headers.get('x-sluice-refusal'), 'tenant_rate_limited');
  console.log(
    `1. acme: 429 ${limited.headers.get('x-sluice-refusal')}, retry-after ${limited.headers.get('retry-after')} s`,
  );
  //    globex is not affected by acme's budget.
  await client(governor, 'globex').chat.completions.create({ model: 'gpt-4o-mini', messages: hello });

  // 2. A tenant the configuration does not declare is refused (403, unknown_tenant): a typo in a tenant
  //    name never means "no limit". Calls that name no tenant are the tenant `default` (or options.tenant).
  const stranger = await client(governor, 'initech')
    .chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
    .catch((e) => e);
  assert.ok(stranger instanceof OpenAI.PermissionDeniedError);
  console.log(`2. initech: ${stranger.status} ${stranger.headers.get('x-sluice-refusal')}`);
  await client(governor, undefined).chat.completions.create({ model: 'gpt-4o-mini', messages: hello });

  // 3. A model no group declares is refused (404, naming it) rather than sent ungoverned.
  const undeclared = await client(governor, 'globex')
    .chat.completions.create({ model: 'gpt-4.1', messages: hello })
    .catch((e) => e);
  assert.ok(undeclared instanceof OpenAI.NotFoundError);
  console.log(`3. gpt-4.1: ${undeclared.status} ${undeclared.message}`);

  // 4. forwarding 'as-sent' (the default): the app's own headers go upstream as plain fetch would send them.
  sent.length = 0;
  await client(governor, 'globex', { organization: 'org-app' }).chat.completions.create({
    model: 'gpt-4o-mini',
    messages: hello,
  });
  assert.equal(sent[0].headers.get('openai-organization'), 'org-app');
  assert.equal(sent[0].headers.get('authorization'), 'Bearer sk-app-key');
  assert.equal(sent[0].headers.get('x-sluice-tenant'), null); // Sluice's own headers stay here
  console.log('4. as-sent: the app’s key and openai-organization went upstream');
} finally {
  await governor.close();
}

// 5. The other settings, in a second governor:
//    unknown_tenants: { tier }   undeclared tenants get that tier instead of a 403;
//    undeclared_models: 'pass'   calls for undeclared models go upstream untouched (not counted, not limited);
//    forwarding: 'allow-list'    only what the gateway forwards for its tenants (tracing, API versions;
//                                never the app's key: give each deployment an api_key).
const open = createGovernor(
  {
    ...base,
    model_groups: {
      'gpt-4o-mini': {
        deployments: [
          {
            id: 'main',
            provider: 'openai',
            base_url: `${sim.url}/v1`,
            api_key: 'sk-deployment-key',
            model: 'gpt-4o-mini',
          },
        ],
      },
    },
    unknown_tenants: { tier: 'free' },
    undeclared_models: 'pass',
    forwarding: 'allow-list',
  },
  { fetch: recordingFetch },
);
try {
  const initech = client(open, 'initech', { organization: 'org-app' });
  sent.length = 0;
  await initech.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
  assert.equal(sent[0].headers.get('authorization'), 'Bearer sk-deployment-key');
  assert.equal(sent[0].headers.get('openai-organization'), null);
  const passed = await initech.chat.completions.create({ model: 'gpt-4.1', messages: hello });
  assert.ok(passed.choices[0].message.content);
  console.log(
    '5. initech served on the free tier; gpt-4.1 passed through; the deployment’s key went upstream',
  );
} finally {
  await open.close();
}

// 6. The configuration is checked like the gateway's YAML: an unknown key, a wrong type or a name that is
//    used but not declared throws ConfigError naming the key path.
try {
  createGovernor({ ...base, tiers: { ...base.tiers, free: { rmp: 2 } } });
  assert.fail('expected a ConfigError');
} catch (error) {
  assert.ok(error instanceof ConfigError);
  console.log(`6. ${error.message}`);
}
await sim.close();

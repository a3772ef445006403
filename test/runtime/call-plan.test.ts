/**
 * What the governor decides about a call before its first attempt
 * (runtime/call-plan.ts): the refusals that need no attempt, the cost it
 * reserves, the buckets it is charged on, its deadline, priority and chain.
 */
import { describe, expect, it } from 'vitest';
import { costOf } from '../../src/core/cost.js';
import { PriorityClasses } from '../../src/core/scheduler/priority.js';
import { CallPlan, planCall } from '../../src/runtime/call-plan.js';
import type { Emit } from '../../src/runtime/events.js';
import type { Call, UpstreamReply } from '../../src/runtime/exchange/call.js';
import { type GovernorTopology, ModelGroups } from '../../src/runtime/model-groups.js';
import { call, openaiDeployment } from './kit.js';

const NOW = 1_000_000;
const classes = new PriorityClasses();

const TOPOLOGY: GovernorTopology = {
  modelGroups: {
    g: {
      deployments: [openaiDeployment('a')],
      fallbacks: ['claude', 'h'],
      downgrade: { to: 'h', whenHeadroomBelow: 0.2 },
    },
    h: { deployments: [openaiDeployment('b')] },
    claude: {
      deployments: [{ id: 'c', provider: 'anthropic', baseUrl: 'http://c.test', model: 'claude-x' }],
    },
    keyed: {
      deployments: [
        { id: 'k', provider: 'anthropic', baseUrl: 'http://k.test', model: 'claude-x', apiKey: 'sk-ant-k' },
      ],
    },
    flash: {
      deployments: [{ id: 'f', provider: 'gemini', baseUrl: 'http://f.test', model: 'gemini-x' }],
    },
  },
  tiers: {
    pro: { limits: { rpm: 100, tpm: 10_000 }, priority: 'high', maxWaitMs: 10_000, countTokensRpm: 5 },
  },
  tenants: [
    { id: 'acme', tier: 'pro' },
    { id: 'narrow', modelGroups: ['h'] },
  ],
  defaultMaxWaitMs: 30_000,
};

function plan(c: Call, topology: GovernorTopology = TOPOLOGY) {
  const groups = new ModelGroups(topology, classes, { emit: (() => undefined) as Emit });
  return { result: planCall(c, { topology: groups, classes, now: NOW }), groups };
}

function planned(c: Call, topology?: GovernorTopology): CallPlan<UpstreamReply> {
  const { result } = plan(c, topology);
  if (!(result instanceof CallPlan)) throw new Error(`refused: ${result.refusal.message}`);
  return result;
}

function refused(c: Call, topology?: GovernorTopology) {
  const { result } = plan(c, topology);
  if (result instanceof CallPlan) throw new Error('planned, not refused');
  return result;
}

describe('planCall: refusals before any attempt', () => {
  it('refuses a model that is no group here (unknown_model)', () => {
    const { refusal, tenant } = refused(call('openai', { model: 'nope' }));
    expect(refusal).toMatchObject({
      code: 'unknown_model',
      message: 'The model `nope` is not one of the model groups served here.',
      retryAfterMs: undefined,
    });
    expect(tenant).toBeUndefined();
  });

  it('sends a chat call to a deployment of another API family translated, with the deployment’s key', () => {
    const p = planned(call('openai', { model: 'keyed', maxTokens: 7 }));
    const deployment = p.group.deployments[0];
    if (!deployment) throw new Error('no deployment');
    const crossing = p.crossingTo(deployment);
    expect(crossing?.request).toMatchObject({
      endpoint: 'messages',
      pathname: '/v1/messages',
      body: { model: 'claude-x', max_tokens: 7, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(p.upstreamEndpoint(deployment)).toBe('messages');
    // Priced as Anthropic counts it: the output cap the translated body carries.
    expect(p.basisFor(deployment).cost.outputTokens).toBe(7);
    // Gemini deployments also speak OpenAI's API: that call goes natively.
    const flash = planned(call('openai', { model: 'flash' }));
    expect(flash.crossingTo(flash.group.deployments[0] as never)).toBeUndefined();
  });

  it('refuses with a 400 naming the parameter and the deployments when no deployment can take a chat call', () => {
    const body = { model: 'keyed', messages: [{ role: 'user', content: 'hi' }], n: 2, logit_bias: { 1: 2 } };
    expect(refused({ ...call('openai', { model: 'keyed' }), body }).refusal).toMatchObject({
      code: 'untranslatable',
      message: expect.stringMatching(/^No deployment of the model `keyed` can take this request: /),
    });
    const { message } = refused({ ...call('openai', { model: 'keyed' }), body }).refusal;
    expect(message).toContain('`n`: only OpenAI answers with several choices (deployment k)');
    expect(message).toContain(
      '`logit_bias`: an OpenAI parameter the other API families have no counterpart for (deployment k)',
    );
    // What the target refuses is named as the caller's API names it.
    const sampled = { model: 'keyed', messages: [{ role: 'user', content: 'hi' }], top_p: 0.5 };
    expect(refused({ ...call('openai', { model: 'keyed' }), body: sampled }).refusal.message).toBe(
      'No deployment of the model `keyed` can take this request: `top_p`: Anthropic Messages takes no top_p (deployment k).',
    );
    // A deployment without a key of its own cannot be sent another API's call (the caller's key is for its provider).
    expect(refused(call('openai', { model: 'claude' })).refusal).toMatchObject({
      code: 'untranslatable',
      message:
        'No deployment of the model `claude` can take this request: the Anthropic deployment has no key of its own to send a translated call with (deployment c).',
    });
  });

  it('refuses a call that is not a chat call for a group of another API family, naming the families (404)', () => {
    expect(refused(call('openai', { model: 'keyed', endpoint: 'embeddings' })).refusal).toMatchObject({
      code: 'unknown_model',
      message: 'The model `keyed` is served through the Anthropic API, not the OpenAI API this request used.',
    });
  });

  it('refuses a tenant the configuration does not declare (unknown_tenant), unless a tier takes them', () => {
    expect(refused(call('openai', { tenant: 'ghost' })).refusal).toMatchObject({
      code: 'unknown_tenant',
      message: 'Tenant `ghost` is not declared in this Sluice configuration.',
    });
    const mapped = planned(call('openai', { tenant: 'ghost' }), { ...TOPOLOGY, unknownTenantTier: 'pro' });
    expect(mapped.tenant).toMatchObject({ id: 'ghost', tier: 'pro' });
    // `default` is always known.
    expect(planned(call('openai', { tenant: 'default' })).tenant.id).toBe('default');
  });

  it('refuses a group outside the tenant’s allow-list (model_not_allowed), with the tenant known', () => {
    const { refusal, tenant } = refused(call('openai', { tenant: 'narrow', model: 'g' }));
    expect(refusal).toMatchObject({
      code: 'model_not_allowed',
      message: 'Tenant narrow may not use the model `g`.',
    });
    expect(tenant?.id).toBe('narrow');
  });
});

describe('planCall: cost and buckets', () => {
  it('reserves the cost the call states, on the upstream and the tenant’s buckets', () => {
    const cost = costOf(5, 6);
    const p = planned(call('openai', { tenant: 'acme', cost }));
    expect(p.cost).toBe(cost);
    expect(p.governed).toBe(true);
    expect(p.tenantBuckets).toBe(p.tenant.buckets);
    expect(p.tenantBuckets.map((b) => b.key)).toHaveLength(2);
  });

  it('estimates the cost from the body when the call states none', () => {
    const p = planned(call('openai', { maxTokens: 321 }));
    expect(p.cost.requests).toBe(1);
    expect(p.cost.outputTokens).toBe(321);
    expect(p.cost.inputTokens).toBeGreaterThan(0);
  });

  it('charges a token count one request on the tenant’s own count_tokens budget, and no upstream bucket', () => {
    const p = planned(call('anthropic', { model: 'claude', tenant: 'acme', endpoint: 'count_tokens' }));
    expect(p.cost).toEqual({ requests: 1, inputTokens: 0, outputTokens: 0 });
    expect(p.governed).toBe(false);
    expect(p.tenantBuckets).toBe(p.tenant.countTokensBuckets);
    expect(p.tenantBuckets.map((b) => [b.dimension, b.limit, b.per])).toEqual([['requests', 5, 'minute']]);
  });

  it('charges the model list nothing', () => {
    const p = planned(call('openai', { tenant: 'acme', endpoint: 'models' }));
    expect(p.cost).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0 });
    expect(p.governed).toBe(false);
    expect(p.tenantBuckets).toEqual([]);
  });
});

describe('planCall: deadline, priority, chain', () => {
  it('sets the deadline from the shorter of the tier’s max wait and the call’s own', () => {
    expect(planned(call('openai', { tenant: 'acme' })).deadline).toBe(NOW + 10_000);
    expect(planned(call('openai', { tenant: 'acme', maxWaitMs: 2_000 })).deadline).toBe(NOW + 2_000);
    // A call can shorten its wait, never lengthen it.
    expect(planned(call('openai', { tenant: 'acme', maxWaitMs: 50_000 })).deadline).toBe(NOW + 10_000);
    expect(planned(call('openai')).deadline).toBe(NOW + 30_000);
    expect(planned(call('openai', { maxWaitMs: 0 })).deadline).toBe(NOW);
    expect(planned(call('openai', { maxWaitMs: -5 })).deadline).toBe(NOW);
    expect(planned(call('openai')).startedAt).toBe(NOW);
  });

  it('lets a call lower its priority below its tier’s, never raise it', () => {
    const tier = planned(call('openai', { tenant: 'acme' }));
    expect([tier.priority, tier.priorityName]).toEqual([1, 'high']);
    expect(planned(call('openai', { tenant: 'acme', priority: 'critical' })).priorityName).toBe('high');
    expect(planned(call('openai', { tenant: 'acme', priority: 'low' })).priorityName).toBe('low');
    expect(planned(call('openai')).priorityName).toBe('normal');
  });

  it('chains the fallbacks whatever API they speak, and names the downgrade group', () => {
    const p = planned(call('openai'));
    expect(p.chain.map((g) => g.name)).toEqual(['g', 'claude', 'h']);
    expect(p.downgradeTo?.name).toBe('h');
    expect(p.attempts).toBe(0);
    expect(p.failed.size).toBe(0);
  });
});

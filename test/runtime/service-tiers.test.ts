/**
 * Service tiers as capacity (issue 15) at the runtime's boundary: a
 * deployment sends its tier, and an answer served at another tier (OpenAI
 * Fast downgraded to Standard, Gemini Priority to Standard) is charged on
 * the buckets of the upstream's deployment of that tier, leaving the sent
 * tier's buckets as if the call had not been made.
 */
import { describe, expect, it } from 'vitest';
import { costOf } from '../../src/core/cost.js';
import type { DeploymentConfig } from '../../src/runtime/deployment.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { call, governorFor, type Rig, relayAll, type ScriptedReply } from './kit.js';

const UPSTREAM = {
  provider: 'openai',
  baseUrl: 'http://openai.test/v1',
  apiKey: 'sk-1',
  model: 'gpt-4o',
} as const;

function tiers(
  extra: { fast?: Partial<DeploymentConfig>; std?: Partial<DeploymentConfig> } = {},
): GovernorTopology {
  return {
    modelGroups: {
      // Separate groups so each test picks the tier it sends; siblings need not share a group.
      'gpt-4o-fast': {
        deployments: [
          {
            id: 'fast',
            ...UPSTREAM,
            serviceTier: 'priority',
            limits: { rpm: 100, tpm: 50_000 },
            ...extra.fast,
          },
        ],
      },
      'gpt-4o': {
        deployments: [
          {
            id: 'std',
            ...UPSTREAM,
            serviceTier: 'default',
            limits: { rpm: 1_000, tpm: 500_000 },
            ...extra.std,
          },
        ],
      },
    },
    safetyMargin: 0,
  };
}

function chat(input: number, output: number, served: string | undefined): ScriptedReply {
  return {
    headers: { 'content-type': 'application/json' },
    body: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
      ...(served !== undefined && { service_tier: served }),
      system_fingerprint: 'fp_1',
    },
  };
}

function chatStream(input: number, output: number, served: string): ScriptedReply {
  const head = `"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","service_tier":"${served}"`;
  return {
    headers: { 'content-type': 'text/event-stream' },
    chunks: [
      `data: {${head},"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}\n\n`,
      `data: {${head},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n`,
      `data: {${head},"choices":[],"usage":{"prompt_tokens":${input},"completion_tokens":${output},"total_tokens":${input + output}}}\n\n`,
      'data: [DONE]\n\n',
    ],
  };
}

/** Used units of a deployment's (or pool's) buckets by dimension, as the store holds them now. */
async function used(rig: Rig, owner: string): Promise<{ requests: number; tokens: number }> {
  const d = rig.governor.groups.deployment(owner);
  const specs = d ? d.allBuckets().filter((b) => b !== d.gate) : rig.governor.groups.poolBucketsByName(owner);
  const snapshots = await rig.store.peek(specs);
  const of = (dimension: string) =>
    Math.round(
      snapshots
        .filter((s) => specs.find((b) => b.key === s.key)?.dimension === dimension)
        .reduce((n, s) => n + s.used, 0),
    );
  return { requests: of('requests'), tokens: of('tokens') };
}

async function serveAndRelay(
  rig: Rig,
  model: string,
  options: { stream?: boolean; body?: Record<string, unknown> } = {},
) {
  const answer = await rig.serve(call('openai', { model, cost: costOf(400, 400), ...options }));
  if (answer.relay) relayAll(answer, rig.transport.replies.at(-1) as never);
  await rig.flush();
  return answer;
}

describe('service tiers: what is sent', () => {
  it('sends the deployment’s tier, and leaves a tier the caller chose alone', async () => {
    const rig = governorFor(tiers());
    rig.transport.script('fast', chat(10, 5, 'priority'), chat(10, 5, 'flex'));
    await serveAndRelay(rig, 'gpt-4o-fast');
    await serveAndRelay(rig, 'gpt-4o-fast', { body: { service_tier: 'flex' } });
    const bodies = rig.transport.to('fast').map((s) => JSON.parse(s.body ?? '{}') as Record<string, unknown>);
    expect(bodies.map((b) => b.service_tier)).toEqual(['priority', 'flex']);
    rig.transport.expectDone();
  });
});

describe('service tiers: charged where served', () => {
  it('a Fast call served at default is charged on the default deployment and released from the fast one', async () => {
    const rig = governorFor(tiers());
    rig.transport.script('fast', chat(300, 200, 'default'));
    const answer = await serveAndRelay(rig, 'gpt-4o-fast');
    expect(answer.status).toBe(200);
    expect(await used(rig, 'fast')).toEqual({ requests: 0, tokens: 0 });
    expect(await used(rig, 'std')).toEqual({ requests: 1, tokens: 500 });
    expect(rig.events.serviceTier).toEqual([
      { deployment: 'fast', sent: 'priority', served: 'default', chargedTo: 'std' },
    ]);
    rig.store.expectSettledOnce();
    rig.transport.expectDone();
  });

  it('an answer served at the tier sent stays on its deployment (`fast` is `priority` renamed)', async () => {
    const rig = governorFor(tiers({ fast: { serviceTier: 'fast' } }));
    rig.transport.script('fast', chat(300, 200, 'priority'), chat(100, 100, undefined));
    await serveAndRelay(rig, 'gpt-4o-fast');
    await serveAndRelay(rig, 'gpt-4o-fast');
    expect(await used(rig, 'fast')).toEqual({ requests: 2, tokens: 700 });
    expect(await used(rig, 'std')).toEqual({ requests: 0, tokens: 0 });
    expect(rig.events.serviceTier).toEqual([]);
  });

  it('a streamed answer reports its tier in its chunks', async () => {
    const rig = governorFor(tiers());
    rig.transport.script('fast', chatStream(40, 60, 'default'));
    await serveAndRelay(rig, 'gpt-4o-fast', { stream: true });
    expect(await used(rig, 'fast')).toEqual({ requests: 0, tokens: 0 });
    expect(await used(rig, 'std')).toEqual({ requests: 1, tokens: 100 });
  });

  it('a deployment without a tier is the default one: a caller’s priority call served at priority moves to the fast sibling', async () => {
    const rig = governorFor(tiers({ std: { serviceTier: undefined } }));
    rig.transport.script('std', chat(10, 10, 'priority'));
    await serveAndRelay(rig, 'gpt-4o', { body: { service_tier: 'priority' } });
    expect(await used(rig, 'std')).toEqual({ requests: 0, tokens: 0 });
    expect(await used(rig, 'fast')).toEqual({ requests: 1, tokens: 20 });
  });

  it('with no deployment of the served tier, the call is charged as sent and the change still counted', async () => {
    const rig = governorFor(tiers());
    rig.transport.script('fast', chat(30, 20, 'flex'));
    await serveAndRelay(rig, 'gpt-4o-fast');
    expect(await used(rig, 'fast')).toEqual({ requests: 1, tokens: 50 });
    expect(rig.events.serviceTier).toEqual([
      { deployment: 'fast', sent: 'priority', served: 'flex', chargedTo: undefined },
    ]);
  });

  it('a deployment naming no tier, with no sibling of the served one, takes what it is served silently', async () => {
    const rig = governorFor(tiers({ std: { serviceTier: undefined, apiKey: 'sk-scale' } }));
    rig.transport.script('std', chat(30, 20, 'scale'));
    await serveAndRelay(rig, 'gpt-4o');
    expect(await used(rig, 'std')).toEqual({ requests: 1, tokens: 50 });
    expect(rig.events.serviceTier).toEqual([]);
  });

  it('another upstream (another key) is not a sibling', async () => {
    const rig = governorFor(tiers({ std: { apiKey: 'sk-2' } }));
    rig.transport.script('fast', chat(30, 20, 'default'));
    await serveAndRelay(rig, 'gpt-4o-fast');
    expect(await used(rig, 'fast')).toEqual({ requests: 1, tokens: 50 });
    expect(await used(rig, 'std')).toEqual({ requests: 0, tokens: 0 });
  });

  it('tiers that share limits (OpenAI Fast and Standard) point at one pool: a downgrade leaves the pool charged once', async () => {
    const shared = { pools: ['gpt-4o-shared'], limits: { rpm: 10_000 } };
    const rig = governorFor({
      ...tiers({ fast: shared, std: shared }),
      pools: { 'gpt-4o-shared': { tpm: 100_000, rpm: 1_000 } },
    });
    rig.transport.script('fast', chat(300, 200, 'default'), chat(100, 0, 'priority'));
    await serveAndRelay(rig, 'gpt-4o-fast');
    await serveAndRelay(rig, 'gpt-4o-fast');
    expect(await used(rig, 'gpt-4o-shared')).toEqual({ requests: 2, tokens: 600 });
    expect(await used(rig, 'fast')).toEqual({ requests: 1, tokens: 0 });
    expect(await used(rig, 'std')).toEqual({ requests: 1, tokens: 0 });
  });

  it('Gemini: the tier in `x-gemini-service-tier` is charged', async () => {
    const gemini = {
      provider: 'gemini',
      baseUrl: 'http://gemini.test',
      apiKey: 'g-1',
      model: 'gemini-2.5-pro',
    } as const;
    const rig = governorFor({
      modelGroups: {
        pro: {
          deployments: [
            { id: 'pro-priority', ...gemini, serviceTier: 'priority', limits: { rpm: 10, tpm: 10_000 } },
          ],
        },
        'pro-std': { deployments: [{ id: 'pro-standard', ...gemini, limits: { rpm: 100, tpm: 100_000 } }] },
      },
      safetyMargin: 0,
    });
    rig.transport.script('pro-priority', {
      headers: { 'content-type': 'application/json', 'x-gemini-service-tier': 'standard' },
      body: {
        candidates: [{ content: { parts: [{ text: 'hi' }], role: 'model' }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 2, totalTokenCount: 10 },
      },
    });
    const answer = await rig.serve(call('gemini', { model: 'pro', cost: costOf(100, 100) }));
    if (answer.relay) relayAll(answer, rig.transport.replies.at(-1) as never);
    await rig.flush();
    expect(JSON.parse(rig.transport.to('pro-priority')[0]?.body ?? '{}')).toMatchObject({
      service_tier: 'priority',
    });
    expect(await used(rig, 'pro-priority')).toEqual({ requests: 0, tokens: 0 });
    expect(await used(rig, 'pro-standard')).toEqual({ requests: 1, tokens: 10 });
    expect(rig.events.serviceTier).toEqual([
      { deployment: 'pro-priority', sent: 'priority', served: 'standard', chargedTo: 'pro-standard' },
    ]);
  });
});

describe('service tiers: under load', () => {
  it('many concurrent Fast calls, some downgraded: each tier holds exactly what it served', async () => {
    const rig = governorFor(tiers());
    const sizes = Array.from({ length: 60 }, (_, i) => ({ input: 50 + i * 7, output: 10 + (i % 9) * 11 }));
    // Every third answer was served at default (OpenAI's ramp rule downgrading part of the traffic).
    rig.transport.otherwise((sent) => {
      const i = Number((JSON.parse(sent.body ?? '{}') as { metadata: { i: string } }).metadata.i);
      const s = sizes[i] as { input: number; output: number };
      return chat(s.input, s.output, i % 3 === 0 ? 'default' : 'priority');
    });
    // Concurrent answers: each relays the reply to its own send (sends and replies are recorded in step here).
    const answers = await Promise.all(
      sizes.map(async (_, i) => {
        const answer = await rig.serve(
          call('openai', {
            model: 'gpt-4o-fast',
            cost: costOf(400, 400),
            body: { metadata: { i: String(i) } },
          }),
        );
        const sent = rig.transport.sent.findIndex((x) => x.body?.includes(`"i":"${i}"`));
        if (answer.relay) relayAll(answer, rig.transport.replies[sent] as never);
        return answer;
      }),
    );
    await rig.flush();
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const tokens = (pick: (i: number) => boolean) =>
      sizes.reduce((n, s, i) => (pick(i) ? n + s.input + s.output : n), 0);
    expect(await used(rig, 'fast')).toEqual({ requests: 40, tokens: tokens((i) => i % 3 !== 0) });
    expect(await used(rig, 'std')).toEqual({ requests: 20, tokens: tokens((i) => i % 3 === 0) });
    expect(rig.events.serviceTier).toHaveLength(20);
    rig.store.expectSettledOnce();
  });
});

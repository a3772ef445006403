/**
 * The prompt budget in the lifecycle (`serveCall`): judged at the group's
 * load level as the governor last sampled it, so a `when: act` budget trims
 * nothing while the group is `ok` and trims once it is `act`; the upstream
 * gets the trimmed body and the answer says how many tokens went. Buckets
 * are filled straight in the store; time is a manual clock.
 */
import { describe, expect, it } from 'vitest';
import type { GovernorTopology } from '../../../../src/runtime/model-groups.js';
import { finish, OK } from '../../canned.js';
import { call, governorFor, headersOf, openaiDeployment, type Rig } from '../../kit.js';

const HEADER = 'x-sluice-prompt-trimmed-tokens';
const long = (n: number): string => 'lorem '.repeat(n);
const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: long(400) },
  { role: 'assistant', content: long(400) },
  { role: 'user', content: 'latest' },
];

function topology(tierWhen: 'warn' | 'always'): GovernorTopology {
  return {
    modelGroups: {
      g: {
        deployments: [openaiDeployment('a', { limits: { rpm: 1_000 } })],
        promptBudget: { tokens: 200, when: 'act' },
      },
    },
    tiers: { free: { promptBudget: { tokens: 600, when: tierWhen } } },
    tenants: [{ id: 'f', tier: 'free' }, { id: 'plain' }],
    safetyMargin: 0,
  };
}

/** Takes `n` of deployment a's per-minute requests, as other traffic would. */
async function use(rig: Rig, n: number): Promise<void> {
  const bucket = rig.governor.groups.deployment('a')?.bucketFor('requests', 'minute');
  if (!bucket) throw new Error('no request bucket');
  expect(
    (await rig.store.inner.reserve([bucket], { requests: n, inputTokens: 0, outputTokens: 0 })).granted,
  ).toBe(true);
}

/** Serves a chat call of `tenant`; the trimmed-tokens header and the messages the upstream got. */
async function serve(rig: Rig, tenant: string) {
  const answer = await rig.serve(call('openai', { tenant, body: { messages } }));
  finish(rig, answer);
  const sent = JSON.parse(rig.transport.sent.at(-1)?.body ?? '{}') as { messages: unknown[] };
  return { trimmed: headersOf(answer)[HEADER], sent: sent.messages };
}

describe('prompt budget in serveCall', () => {
  it('trims by the load level: the group’s act budget only at act, the tier’s warn budget from warn on', async () => {
    const rig = governorFor(topology('warn'));
    rig.transport.otherwise(() => OK);
    expect(await serve(rig, 'f')).toEqual({ trimmed: undefined, sent: messages });

    await use(rig, 850);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g').level).toBe('warn');
    // The tier's 600 is in force; dropping the oldest turn (~800 tokens) is the only way to fit it.
    const atWarn = await serve(rig, 'f');
    expect(atWarn.sent).toEqual([messages[0], messages[3]]);
    expect(Number(atWarn.trimmed)).toBeGreaterThan(800);
    // A tenant without the tier has only the group's budget, not in force at warn.
    expect(await serve(rig, 'plain')).toEqual({ trimmed: undefined, sent: messages });

    await use(rig, 100);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g').level).toBe('act');
    const atAct = await serve(rig, 'plain');
    expect(atAct.sent).toEqual([messages[0], messages[3]]);
    expect(Number(atAct.trimmed)).toBeGreaterThan(800);
  });

  it('applies an `always` budget whatever the load', async () => {
    const rig = governorFor(topology('always'));
    rig.transport.otherwise(() => OK);
    expect(rig.governor.load('g').level).toBe('ok');
    expect((await serve(rig, 'f')).sent).toEqual([messages[0], messages[3]]);
  });
});

/**
 * A tier upgrade through the gateway (issue 15): the simulator's key allows
 * more than the deployment declares; after three answers say so the
 * gateway adopts it and says so in its log, once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { baseConfig, type Rig, simOpenAiDeployment, startRig, waitUntil } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('a provider limit above the declared one', () => {
  it('is adopted after three answers and logged as "limit raised 50 → 5000 rpm"', async () => {
    rig = await startRig({
      sim: { keys: { 'sk-upstream': { models: { 'gpt-4o-mini': { rpm: 5_000 } } } } },
      config: (url) =>
        baseConfig(url, {
          model_groups: {
            'gpt-4o-mini': { deployments: [simOpenAiDeployment(url, { limits: { rpm: 50 } })] },
          },
        }),
    });
    const openai = rig.openai();
    const ask = () =>
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    const raised = () => rig?.logs.filter((l) => String(l.msg).startsWith('limit raised')) ?? [];
    await ask();
    await ask();
    expect(raised()).toEqual([]);
    await ask();
    await ask();
    await waitUntil(() => raised().length > 0);
    expect(raised()).toMatchObject([
      { msg: 'limit raised 50 → 5000 rpm', deployment: 'sim-openai', limit: 'rpm', from: 50, to: 5_000 },
    ]);
  });
});

/**
 * `prompt_budget` on a tier and on a model group (issue 20): validated
 * (positive whole tokens, `when` one of warn/act/always, default act),
 * carried into the topology the same way by the gateway's and the library's
 * config, and applied by `applyPromptBudget` at the levels `when` names,
 * the smaller budget winning where both are in force.
 */
import { describe, expect, it } from 'vitest';
import { toTopology } from '../../src/config/to-topology.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import { createGovernor } from '../../src/index.js';
import type { Call } from '../../src/runtime/exchange/call.js';
import type { LoadLevelName as LoadLevel } from '../../src/runtime/load/load-level.js';
import {
  applyPromptBudget,
  type PromptBudgetScope,
  promptBudgetFor,
} from '../../src/runtime/load/prompt-budget/apply.js';
import { call } from '../runtime/kit.js';

const DEPLOYMENT = { id: 'd-1', provider: 'openai', base_url: 'https://api.openai.com/v1', model: 'gpt-4o' };

function config(group: unknown, tier: unknown) {
  return {
    model_groups: { g: { deployments: [DEPLOYMENT], ...(group !== undefined && { prompt_budget: group }) } },
    tiers: { pro: { ...(tier !== undefined && { prompt_budget: tier }) } },
    tenants: [
      { id: 'acme', key: 'sk-acme-12345', tier: 'pro' },
      { id: 'solo', key: 'sk-solo-12345' },
    ],
  };
}

function refusal(group: unknown): string {
  try {
    parseConfig(config(group, undefined), 'sluice.yaml', {});
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

/** The library's governor for `config` (tenants without keys), and the scope of `tenant` on group `g`. */
function scopeOf(groupBudget: unknown, tierBudget: unknown, tenant = 'acme') {
  const { tenants, ...rest } = config(groupBudget, tierBudget);
  const library = createGovernor({ ...rest, tenants: tenants.map(({ key: _, ...t }) => t) } as never);
  const groups = library.governor.groups;
  const group = groups.group('g');
  const resolved = groups.tenants.resolve(tenant);
  if (!group || !resolved) throw new Error('no group or tenant');
  return (level: LoadLevel): PromptBudgetScope => ({ group, tenant: resolved, level });
}

const long = (n: number): string => 'lorem '.repeat(n);
/** A chat call of two ~300-token turns and a short latest one. */
function chatCall(): Call {
  return call('openai', {
    body: {
      messages: [
        { role: 'user', content: long(300) },
        { role: 'assistant', content: long(300) },
        { role: 'user', content: 'latest' },
      ],
    },
  });
}

describe('prompt_budget config', () => {
  it('maps a tier’s and a group’s budget to the topology, `when` defaulting to act', () => {
    const parsed = parseConfig(config({ tokens: 500 }, { tokens: 800, when: 'warn' }), 'sluice.yaml', {});
    const topology = toTopology(parsed);
    expect(topology.modelGroups.g?.promptBudget).toEqual({ tokens: 500, when: 'act' });
    expect(topology.tiers?.pro?.promptBudget).toEqual({ tokens: 800, when: 'warn' });
    expect(
      toTopology(parseConfig(config(undefined, undefined), 'sluice.yaml', {})).modelGroups.g,
    ).not.toHaveProperty('promptBudget');
  });

  it('refuses a budget that is not a positive whole number of tokens, or an unknown `when`', () => {
    expect(refusal({ tokens: 0 })).toContain('model_groups.g.prompt_budget.tokens');
    expect(refusal({ tokens: 1.5 })).toContain('model_groups.g.prompt_budget.tokens');
    expect(refusal({ tokens: 100, when: 'high' })).toContain('model_groups.g.prompt_budget.when');
    expect(refusal({ tokens: 100, after: 'act' })).toContain('model_groups.g.prompt_budget');
  });

  it('reaches the library’s tenants and groups', () => {
    const at = scopeOf({ tokens: 500, when: 'always' }, { tokens: 800 });
    expect(at('ok').group.promptBudget).toEqual({ tokens: 500, when: 'always' });
    expect(at('ok').tenant.promptBudget).toEqual({ tokens: 800, when: 'act' });
  });
});

describe('the budget in force', () => {
  it('follows `when`: warn covers act, act only act, always whatever the load', () => {
    const warn = scopeOf(undefined, { tokens: 800, when: 'warn' });
    expect(['ok', 'warn', 'act'].map((l) => promptBudgetFor(warn(l as LoadLevel)))).toEqual([
      undefined,
      800,
      800,
    ]);
    const act = scopeOf({ tokens: 500 }, undefined);
    expect(['ok', 'warn', 'act'].map((l) => promptBudgetFor(act(l as LoadLevel)))).toEqual([
      undefined,
      undefined,
      500,
    ]);
    const always = scopeOf({ tokens: 500, when: 'always' }, undefined);
    expect(promptBudgetFor(always('ok'))).toBe(500);
  });

  it('is the smaller of the tier’s and the group’s when both are in force', () => {
    const both = scopeOf({ tokens: 500, when: 'act' }, { tokens: 800, when: 'warn' });
    expect(promptBudgetFor(both('warn'))).toBe(800);
    expect(promptBudgetFor(both('act'))).toBe(500);
    const tierSmaller = scopeOf({ tokens: 500, when: 'always' }, { tokens: 200, when: 'always' });
    expect(promptBudgetFor(tierSmaller('ok'))).toBe(200);
    // A tenant without the tier has only the group's.
    expect(
      promptBudgetFor(
        scopeOf({ tokens: 500, when: 'always' }, { tokens: 200, when: 'always' }, 'solo')('ok'),
      ),
    ).toBe(500);
  });
});

describe('applyPromptBudget', () => {
  it('leaves the call untouched when no budget is in force or the prompt fits', () => {
    const original = chatCall();
    const at = scopeOf({ tokens: 100 }, undefined);
    expect(applyPromptBudget(original, at('warn'))).toEqual({ call: original, trimmedTokens: 0 });
    expect(applyPromptBudget(original, at('warn')).call).toBe(original);
    const roomy = scopeOf({ tokens: 10_000, when: 'always' }, undefined);
    expect(applyPromptBudget(original, roomy('ok')).call).toBe(original);
  });

  it('trims the body and re-serializes the raw body, leaving the original call as it was', () => {
    const original = chatCall();
    const before = JSON.stringify(original.body);
    const { call: trimmed, trimmedTokens } = applyPromptBudget(
      original,
      scopeOf({ tokens: 100 }, undefined)('act'),
    );
    expect(trimmedTokens).toBeGreaterThan(500);
    expect(trimmed.body?.messages).toEqual([{ role: 'user', content: 'latest' }]);
    expect(JSON.parse(String(trimmed.rawBody))).toEqual(trimmed.body);
    expect(trimmed.id).toBe(original.id);
    expect(JSON.stringify(original.body)).toBe(before);
    expect(original.rawBody).toBe(before);
  });

  it('leaves calls without a conversation (embeddings, token counts) untouched', () => {
    const embedding = call('openai', { endpoint: 'embeddings', body: { input: long(2_000) } });
    expect(applyPromptBudget(embedding, scopeOf({ tokens: 10, when: 'always' }, undefined)('ok')).call).toBe(
      embedding,
    );
    const count = call('anthropic', { endpoint: 'count_tokens' });
    expect(applyPromptBudget(count, scopeOf({ tokens: 1, when: 'always' }, undefined)('ok')).call).toBe(
      count,
    );
  });
});

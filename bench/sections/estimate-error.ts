/**
 * Estimate error before and after learning (issue 14): how far the input
 * tokens admission reserves are from what the provider reports, per
 * provider flavour and per provider tokenizer (the simulator counting
 * k × Sluice's tokens). "before" is the adapter's estimate alone (every
 * call), "after" the estimate corrected by the learned prompt ratio (calls
 * after the first 10). Under = share of calls reserved below the report:
 * the ones that can meet a 429 at a busy provider.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createGovernor } from '../../src/library/create-governor.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import { startSimulator } from '../../src/simulator/index.js';
import { printTable, type Row, writeResults } from '../lib/report.js';

const CALLS = 60;
const LEARNING_CALLS = 10;
const WORDS = [
  'limit',
  'bucket',
  'tenant',
  'the',
  'token',
  'refill',
  '429',
  'x = f(y);',
  'Überblick',
  'über',
  '{"a": 1}',
  'rate',
];

/** A prompt of `n` words drawn from a fixed list with a small linear congruential generator: the same every run. */
function prompt(seed: number, n: number): string {
  let state = seed * 7_919 + 17;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    out.push(WORDS[state % WORDS.length] as string);
  }
  return out.join(' ');
}

type Settled = Parameters<GovernorEvents['settled']>[0];

async function measure(flavour: 'openai' | 'anthropic', k: number): Promise<Row> {
  const sim = await startSimulator({ response: { tokens: 5 }, token_counting: { prompt_multiplier: k } });
  const settled: Settled[] = [];
  const model = flavour === 'openai' ? 'gpt-4o-mini' : 'claude-sonnet-4-6';
  const g = createGovernor(
    {
      model_groups: {
        m: {
          deployments: [
            {
              id: 'sim',
              provider: flavour,
              base_url: flavour === 'openai' ? `${sim.url}/v1` : sim.url,
              model,
              limits: { rpm: 10_000 },
            },
          ],
        },
      },
    },
    { observers: [{ settled: (e) => settled.push(e) }] },
  );
  try {
    const openai = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: 'sk', baseURL: sim.url, fetch: g.fetch, maxRetries: 0 });
    for (let i = 0; i < CALLS; i++) {
      const content = prompt(i, 50 + ((i * 137) % 800));
      if (flavour === 'openai')
        await openai.chat.completions.create({
          model: 'm',
          max_tokens: 10,
          messages: [{ role: 'user', content }],
        });
      else
        await anthropic.messages.create({
          model: 'm',
          max_tokens: 10,
          messages: [{ role: 'user', content }],
        });
    }
  } finally {
    await g.close();
    await sim.close();
  }
  const error = (calls: Settled[], pick: (e: Settled) => number) => {
    const errors = calls.map((e) => (pick(e) - (e.usage?.inputTokens ?? 0)) / (e.usage?.inputTokens ?? 1));
    const mean = errors.reduce((a, b) => a + Math.abs(b), 0) / errors.length;
    const under = errors.filter((x) => x < 0).length / errors.length;
    return { mean: 100 * mean, under: 100 * under };
  };
  const before = error(settled, (e) => e.unadjusted.inputTokens);
  const after = error(settled.slice(LEARNING_CALLS), (e) => e.estimate.inputTokens);
  return {
    provider: flavour,
    'tokenizer k': k,
    'error before %': before.mean,
    'under before %': before.under,
    'error after %': after.mean,
    'under after %': after.under,
  };
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  for (const flavour of ['openai', 'anthropic'] as const)
    for (const k of [0.7, 1, 1.3]) rows.push(await measure(flavour, k));
  printTable(rows);
  writeResults('estimate-error', rows);
}

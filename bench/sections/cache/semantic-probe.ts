/**
 * Whether semantic mode answers a paraphrase through a target, here and now:
 * a question, then the same question reworded (`question-text.ts`), through
 * the target configured with `cache: { mode: semantic }` in front of a fresh
 * simulator. Semantic caching needs both a semantic index wired into the
 * cache and embeddings that keep rewordings close; without either, the
 * second answer is a miss and the section runs exact mode only, saying so.
 */
import { startBenchSimulator } from '../../../src/bench/provider.js';
import { newRecord } from '../../../src/bench/record.js';
import type { Scenario } from '../../../src/bench/scenario.js';
import { createTarget } from '../../../src/bench/targets/index.js';
import type { TargetName } from '../../../src/bench/targets/target.js';
import type { PlannedRequest } from '../../../src/bench/workload.js';

const PROBE_TIMEOUT_MS = 30_000;

/** Undefined when a paraphrase was a semantic hit; else why not, in words for the report. */
export async function semanticUnavailable(
  scenario: Scenario,
  target: TargetName,
): Promise<string | undefined> {
  const probe: Scenario = {
    ...scenario,
    name: `${scenario.name}-semantic-probe`,
    sluice: { ...scenario.sluice, cache: { mode: 'semantic', ttl_s: 600, scope: 'tenant' } },
  };
  const provider = await startBenchSimulator(probe);
  const started = performance.now();
  const now = () => performance.now() - started;
  try {
    const sut = await createTarget(target, {
      scenario: probe,
      providerBaseUrl: provider.baseUrl,
      apiKey: provider.apiKey,
      keys: provider.keys,
      now,
    });
    try {
      const ask = async (id: number, wording: number) => {
        const record = newRecord(question(probe, id, wording), now());
        await sut.send(record, AbortSignal.timeout(PROBE_TIMEOUT_MS));
        return record;
      };
      const first = await ask(0, 0);
      if (first.outcome !== 'served') return `the probe's first question was not served (${first.reason})`;
      // The answer is kept as it completes; a second rewording (another text, so never an exact hit) in case the first came too soon.
      let reworded = await ask(1, 7);
      if (reworded.cache !== 'hit') {
        await new Promise((resolve) => setTimeout(resolve, 250));
        reworded = await ask(2, 8);
      }
      if (reworded.cache === 'hit') return undefined;
      return `a paraphrase of a cached question was a ${reworded.cache ?? 'call without x-sluice-cache'} in semantic mode (no semantic index on this revision, or embeddings that do not keep rewordings close)`;
    } finally {
      await sut.close();
    }
  } finally {
    await provider.close();
  }
}

function question(scenario: Scenario, id: number, wording: number): PlannedRequest {
  const tenant = scenario.tenants[0]?.name ?? 'default';
  return {
    id,
    at: 0,
    tenant,
    priority: 'normal',
    promptTokens: 100,
    outputTokens: 24,
    maxTokens: scenario.max_tokens,
    stream: false,
    maxWaitMs: undefined,
    question: { kind: wording === 0 ? 'new' : 'paraphrase', topic: 4_242, wording },
  };
}

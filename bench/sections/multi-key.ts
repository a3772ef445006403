/**
 * `npm run bench multi-key`: the multi-key burst scenario (three keys of
 * different limits behind one group) through the direct SDK on one key,
 * the hand-written fallback loop over the keys, `governor.fetch` and
 * `sluice serve`, in one run. Prints goodput against the summed limits and
 * as a ratio to the fallback loop, upstream 429s, client-visible failures
 * and each key's share of the calls; writes bench/results/multi-key.json
 * (and each run's JSON and SVG in bench/results/multi-key/).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBench } from '../../src/bench/bench.js';
import { goodputRatio, MULTI_KEY_PEER, multiKeyTable } from '../../src/bench/report/multi-key.js';
import { loadScenarioFile } from '../../src/bench/scenario.js';
import type { RunSummary } from '../../src/bench/summary.js';
import type { TargetName } from '../../src/bench/targets/target.js';
import { writeResults } from '../lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const TARGETS: readonly TargetName[] = ['direct', 'fallback', 'library', 'gateway'];

export async function run(): Promise<void> {
  const scenario = await loadScenarioFile(join(here, '..', 'scenarios', 'multi-key-burst.yaml'));
  const summaries: RunSummary[] = [];
  for (const target of TARGETS) {
    const result = await runBench({ scenario, target, outDir: join(here, '..', 'results', 'multi-key') });
    summaries.push(result.summary);
  }
  console.log(multiKeyTable(summaries));
  const peer = summaries.find((s) => s.target === MULTI_KEY_PEER);
  writeResults(
    'multi-key',
    summaries.map((s) => ({
      target: s.target,
      description: s.targetDescription,
      requests: s.requests,
      goodput: s.goodput,
      goodputVsPeer: { peer: MULTI_KEY_PEER, ratio: goodputRatio(s, peer) },
      upstream: s.upstream,
      clientFailures: s.clientFailures,
      keys: s.keys,
      latencyMs: s.latencyMs,
    })),
  );
}

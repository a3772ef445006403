/**
 * Translation section (`npm run bench translation`): what crossing between
 * API families costs, each figure beside a floor or a peer measured in the
 * same run.
 *
 * 1. Per call (translation/per-call.ts): request + answer translation per
 *    ordered pair of caller API and target family, on three bodies, beside
 *    `JSON.parse` + `JSON.stringify` of the same bodies.
 * 2. Streams (translation/streams.ts): upstream stream bytes through the
 *    usage tap and the stream translation, beside the usage tap alone.
 * 3. End to end (translation/end-to-end.ts): `sluice serve` before the
 *    simulator, a translated call beside the same-family calls and the bare
 *    proxy of the gateway section.
 *
 * Parts 1 and 2 touch no network. TRANSLATION_ITERATIONS,
 * TRANSLATION_STREAM_ROUNDS, TRANSLATION_E2E_SECONDS, TRANSLATION_E2E_ROUNDS
 * and TRANSLATION_E2E_RATE size the runs; TRANSLATION_E2E=0 leaves part 3 out;
 * `--profile` profiles the gateway under the same-family and translated calls.
 */
import { printTable, writeResults } from '../lib/report.js';
import { measureEndToEnd } from './translation/end-to-end.js';
import { measurePerCall } from './translation/per-call.js';
import { measureStreams } from './translation/streams.js';

const END_TO_END = process.env.TRANSLATION_E2E !== '0';
const PROFILE = process.argv.includes('--profile') || process.env.BENCH_PROFILE === '1';

export async function run(): Promise<void> {
  console.log(
    '### Request + answer translation per call (µs), beside JSON parse + stringify of the same bodies\n',
  );
  const requests = measurePerCall();
  printTable(requests);
  console.log('\n### Stream translation (MB/s of upstream bytes), beside the usage tap alone\n');
  const streams = measureStreams();
  printTable(streams);
  const endToEnd = END_TO_END ? await measureEndToEnd({ profile: PROFILE }) : undefined;
  if (endToEnd) {
    console.log(
      `\n### End to end through sluice serve (${endToEnd.pinned ? 'load and simulator on core 0, proxies on core 1' : 'not pinned'})\n`,
    );
    printTable(endToEnd.cases);
    console.log('');
    printTable(endToEnd.comparisons);
  }
  writeResults('translation', { requests, streams, endToEnd });
}

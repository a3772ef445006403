/**
 * The history recorder (issue 21) on the governor's events and a manual
 * clock: calls admitted count on every bucket they went through, a refusal
 * on the bucket that bound, the load samples give each minute's peak, each
 * tenant's calls, tokens and cost are kept per group; and a minute is
 * appended once, in one write, after it ends — however many calls it saw.
 */
import { describe, expect, it } from 'vitest';
import { readHistory } from '../../src/history/history-read.js';
import { HistoryRecorder } from '../../src/history/history-recorder.js';
import type { HistoryChunk, HistoryStore } from '../../src/history/history-store.js';
import { MINUTE_MS } from '../../src/history/minute-records.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { finish, OK } from '../runtime/canned.js';
import { call, governorFor, openaiDeployment, type Rig } from '../runtime/kit.js';

/** History kept in this process, counting its writes. */
class CountingHistory implements HistoryStore {
  readonly appends: HistoryChunk[][] = [];
  async append(chunks: readonly HistoryChunk[]): Promise<void> {
    this.appends.push([...chunks]);
  }
  async read(fromDay: number, toDay: number): Promise<HistoryChunk[]> {
    return this.appends.flat().filter((c) => c.day >= fromDay && c.day <= toDay);
  }
}

const TOPOLOGY: GovernorTopology = {
  modelGroups: {
    g: {
      deployments: [
        openaiDeployment('a', { limits: { rpm: 100 }, price: { inputPerMTok: 2, outputPerMTok: 8 } }),
      ],
    },
  },
  tiers: { small: { limits: { rpm: 4 }, maxWaitMs: 0 } },
  tenants: [{ id: 't', tier: 'small' }],
  safetyMargin: 0,
};

function rigWithHistory(): { rig: Rig; store: CountingHistory; recorder: HistoryRecorder } {
  const store = new CountingHistory();
  // The recorder needs the rig's clock, and the rig its observers: they meet through `late`.
  let late: HistoryRecorder | undefined;
  const rig = governorFor(TOPOLOGY, {
    observers: [
      {
        admitted: (e) => late?.observer.admitted?.(e),
        refused: (e) => late?.observer.refused?.(e),
        settled: (e) => late?.observer.settled?.(e),
        billed: (e) => late?.observer.billed?.(e),
        sampled: (e) => late?.observer.sampled?.(e),
      },
    ],
  });
  const recorder = new HistoryRecorder({ store, clock: rig.clock, groups: () => rig.governor.groups });
  late = recorder;
  return { rig, store, recorder };
}

describe('history recorder', () => {
  it('counts calls on their buckets, refusals where they bound, the peak of the samples, and tenant spend', async () => {
    const { rig, store } = rigWithHistory();
    rig.transport.otherwise(() => OK);
    const start = rig.clock.now();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await rig.serve(call('openai', { tenant: 't' }));
      finish(rig, answer);
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    await rig.governor.sampleLoad();
    expect(store.appends).toHaveLength(0); // nothing is written while the minute runs

    await rig.clock.advanceAsync(MINUTE_MS);
    await rig.flush();
    expect(store.appends).toHaveLength(1); // one write for the whole minute

    const history = await readHistory(store, start, start + MINUTE_MS);
    const bucket = (key: string) => history.buckets.find((b) => b.key === key)?.minutes[0];
    expect(bucket('deployment:a:requests:minute')).toMatchObject({ admitted: 4, refused: 0, limit: 100 });
    expect(bucket('deployment:a:requests:minute')?.peak).toBeCloseTo(0.04, 3);
    expect(bucket('tenant:t:requests:minute')).toMatchObject({ admitted: 4, refused: 1, peak: 1, limit: 4 });
    expect(history.tenants).toEqual([
      {
        tenant: 't',
        group: 'g',
        minutes: [
          {
            minute: Math.floor(start / MINUTE_MS),
            requests: 4,
            refused: 1,
            inputTokens: 28,
            outputTokens: 12,
            costUsd: expect.closeTo((4 * (7 * 2 + 3 * 8)) / 1_000_000, 9),
          },
        ],
      },
    ]);
  });

  it('keeps a forwarded batch’s calls, tokens and batch-priced cost in the minute it was billed', async () => {
    const { rig, store } = rigWithHistory();
    const start = rig.clock.now();
    const usd = await rig.governor.billBatch({
      tenant: 't',
      group: 'g',
      deployment: 'a',
      calls: 30,
      usage: { inputTokens: 30_000, outputTokens: 3_000 },
    });
    expect(usd).toBeCloseTo(((30_000 * 2 + 3_000 * 8) / 1_000_000) * 0.5, 12);
    await rig.clock.advanceAsync(MINUTE_MS);
    await rig.flush();
    const history = await readHistory(store, start, start + MINUTE_MS);
    expect(history.tenants[0]?.minutes).toEqual([
      {
        minute: Math.floor(start / MINUTE_MS),
        requests: 30,
        refused: 0,
        inputTokens: 30_000,
        outputTokens: 3_000,
        costUsd: expect.closeTo(usd, 9),
      },
    ]);
    // Nothing passed the rate buckets: the provider's batch queue served it.
    expect(history.buckets).toEqual([]);
  });

  it('writes nothing for an idle minute, and what is left on close', async () => {
    const { rig, store, recorder } = rigWithHistory();
    rig.transport.otherwise(() => OK);
    await rig.governor.sampleLoad(); // every bucket empty
    await rig.clock.advanceAsync(MINUTE_MS);
    await rig.flush();
    expect(store.appends.flat()).toEqual([]);
    finish(rig, await rig.serve(call('openai', { tenant: 't' })));
    await recorder.close();
    expect(store.appends.flat().map((c) => c.series)).toEqual([
      'b:deployment|a|requests|minute|deployment:a:requests:minute',
      'b:tenant|t|requests|minute|tenant:t:requests:minute',
      't:t|g',
    ]);
  });
});

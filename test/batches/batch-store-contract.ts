/**
 * One contract every BatchStore keeps (STYLE.md: one suite, every store).
 * Run by file-batch-store.test.ts and redis-batch-store.test.ts.
 *
 * "Instances on one backend" are `peer()` handles: separate RedisBatchStore
 * instances on one prefix; for the file store the same instance, since one
 * process owns its directory (claims live in its memory).
 */
import { describe, expect, it } from 'vitest';
import type { BatchLine, BatchRecord, FileRecord, LineResult } from '../../src/batches/batch.js';
import type { BatchStore } from '../../src/batches/batch-store.js';
import type { ManualClock } from '../../src/core/clock.js';

export interface BatchStoreHarness {
  readonly store: BatchStore;
  readonly clock: ManualClock;
  /** Another handle on the same backend. */
  peer(): Promise<BatchStore>;
  cleanup(): Promise<void>;
}

const LEASE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export function fileRecord(id: string, overrides: Partial<FileRecord> = {}): FileRecord {
  return {
    id,
    tenant: 'acme',
    purpose: 'batch',
    filename: `${id}.jsonl`,
    bytes: 3,
    createdAt: T0,
    ...overrides,
  };
}

export function batchRecord(id: string, total: number, overrides: Partial<BatchRecord> = {}): BatchRecord {
  return {
    id,
    tenant: 'acme',
    api: 'openai',
    mode: 'drain',
    endpoint: '/v1/chat/completions',
    model: 'gpt-test',
    inputFileId: 'file-in',
    completionWindow: '24h',
    metadata: null,
    createdAt: T0,
    expiresAt: T0 + 86_400_000,
    status: 'in_progress',
    times: { validating: T0, in_progress: T0 },
    total,
    inputTokens: 10 * total,
    ...overrides,
  };
}

export function batchLines(count: number, skip: ReadonlySet<number> = new Set()): BatchLine[] {
  const lines: BatchLine[] = [];
  for (let index = 0; index < count; index++) {
    if (skip.has(index)) continue;
    lines.push({
      index,
      customId: `req-${index}`,
      url: '/v1/chat/completions',
      body: { model: 'gpt-test', messages: [{ role: 'user', content: `line ${index}` }] },
    });
  }
  return lines;
}

export function succeeded(index: number, requestId = `r-${index}`): LineResult {
  return {
    index,
    customId: `req-${index}`,
    outcome: 'succeeded',
    status: 200,
    requestId,
    body: { ok: index },
    tokens: 5,
  };
}

const indexes = (claims: readonly { line: BatchLine }[]) =>
  claims.map((c) => c.line.index).sort((a, b) => a - b);
const claimer = { instance: 'a', leaseMs: LEASE, max: 4 };

export function describeBatchStoreContract(name: string, make: () => Promise<BatchStoreHarness>): void {
  describe(`BatchStore contract: ${name}`, () => {
    const withStore = (test: (h: BatchStoreHarness) => Promise<void>) => async () => {
      const harness = await make();
      try {
        await test(harness);
      } finally {
        await harness.cleanup();
      }
    };

    it(
      'keeps a file and its bytes until deleted',
      withStore(async ({ store }) => {
        const bytes = new Uint8Array([0, 1, 2, 255, 10]);
        await store.putFile(fileRecord('file-a', { bytes: 5 }), bytes);
        expect(await store.file('file-a')).toEqual(fileRecord('file-a', { bytes: 5 }));
        expect(await store.fileContent('file-a')).toEqual(bytes);
        expect(await store.deleteFile('file-a')).toBe(true);
        expect(await store.deleteFile('file-a')).toBe(false);
        expect(await store.file('file-a')).toBeUndefined();
        expect(await store.fileContent('file-a')).toBeUndefined();
        expect(await store.file('file-never')).toBeUndefined();
        expect(await store.listFiles('acme', { limit: 10 })).toEqual([]);
      }),
    );

    it(
      "lists a tenant's files newest first, paged by after and before",
      withStore(async ({ store }) => {
        // Two files share a createdAt: ties are ordered by id, descending.
        const times = [0, 1_000, 2_000, 2_000, 3_000];
        for (const [i, at] of times.entries()) {
          await store.putFile(fileRecord(`file-${i}`, { createdAt: T0 + at }), new Uint8Array([i]));
        }
        await store.putFile(fileRecord('file-other', { tenant: 'globex' }), new Uint8Array([9]));
        const ids = async (page: Parameters<BatchStore['listFiles']>[1]) =>
          (await store.listFiles('acme', page)).map((f) => f.id);
        expect(await ids({ limit: 10 })).toEqual(['file-4', 'file-3', 'file-2', 'file-1', 'file-0']);
        expect(await ids({ limit: 2 })).toEqual(['file-4', 'file-3']);
        expect(await ids({ limit: 2, after: 'file-3' })).toEqual(['file-2', 'file-1']);
        expect(await ids({ limit: 2, after: 'file-1' })).toEqual(['file-0']);
        expect(await ids({ limit: 2, before: 'file-1' })).toEqual(['file-3', 'file-2']);
        expect(await ids({ limit: 10, after: 'file-4', before: 'file-1' })).toEqual(['file-3', 'file-2']);
        expect(await ids({ limit: 10, after: 'file-unknown' })).toEqual([]);
        expect((await store.listFiles('globex', { limit: 10 })).map((f) => f.id)).toEqual(['file-other']);
        await store.deleteFile('file-3');
        expect(await ids({ limit: 10 })).toEqual(['file-4', 'file-2', 'file-1', 'file-0']);
      }),
    );

    it(
      'deletes an ended batch with its lines and results, never one still running',
      withStore(async ({ store, clock }) => {
        await store.createBatch(batchRecord('batch-del', 3), batchLines(3), []);
        await store.createBatch(batchRecord('batch-keep', 1, { createdAt: T0 + 1 }), batchLines(1), []);
        await store.complete('batch-del', succeeded(0));
        expect(await store.deleteBatch('batch-del')).toBe(false);
        expect(await store.deleteBatch('batch-never')).toBe(false);
        await store.endRemaining('batch-del', 'canceled', clock.now());
        await store.transition('batch-del', ['in_progress'], (b) => ({ ...b, status: 'cancelled' }));
        expect(await store.deleteBatch('batch-del')).toBe(true);
        expect(await store.deleteBatch('batch-del')).toBe(false);
        expect(await store.batch('batch-del')).toBeUndefined();
        expect(await store.results('batch-del')).toEqual([]);
        expect(await store.claim('batch-del', claimer, clock.now())).toEqual([]);
        expect((await store.listBatches('acme', { limit: 10 })).map((b) => b.id)).toEqual(['batch-keep']);
        expect((await store.activeBatches()).map((b) => b.id)).toEqual(['batch-keep']);
      }),
    );

    it(
      'creates batches, reads them back and lists them newest first',
      withStore(async ({ store }) => {
        for (let i = 0; i < 4; i++) {
          await store.createBatch(batchRecord(`batch-${i}`, 3, { createdAt: T0 + i }), batchLines(3), []);
        }
        await store.createBatch(batchRecord('batch-g', 1, { tenant: 'globex' }), batchLines(1), []);
        expect(await store.batch('batch-2')).toEqual(batchRecord('batch-2', 3, { createdAt: T0 + 2 }));
        expect(await store.batch('batch-none')).toBeUndefined();
        const ids = async (page: Parameters<BatchStore['listBatches']>[1]) =>
          (await store.listBatches('acme', page)).map((b) => b.id);
        expect(await ids({ limit: 10 })).toEqual(['batch-3', 'batch-2', 'batch-1', 'batch-0']);
        expect(await ids({ limit: 2, after: 'batch-3' })).toEqual(['batch-2', 'batch-1']);
        expect(await ids({ limit: 1, before: 'batch-1' })).toEqual(['batch-2']);
        expect((await store.listBatches('globex', { limit: 10 })).map((b) => b.id)).toEqual(['batch-g']);
        expect((await store.listBatches('nobody', { limit: 10 })).length).toBe(0);
        await expect(store.createBatch(batchRecord('batch-1', 3), batchLines(3), [])).rejects.toThrow();
      }),
    );

    it(
      'lists active batches until they end',
      withStore(async ({ store }) => {
        await store.createBatch(batchRecord('batch-run', 1), batchLines(1), []);
        await store.createBatch(batchRecord('batch-new', 1, { status: 'validating' }), batchLines(1), []);
        await store.createBatch(batchRecord('batch-done', 1, { status: 'completed' }), batchLines(1), []);
        const active = async () => (await store.activeBatches()).map((b) => b.id).sort();
        expect(await active()).toEqual(['batch-new', 'batch-run']);
        await store.transition('batch-run', ['in_progress'], (b) => ({ ...b, status: 'finalizing' }));
        expect(await active()).toEqual(['batch-new', 'batch-run']);
        await store.transition('batch-run', ['finalizing'], (b) => ({ ...b, status: 'completed' }));
        expect(await active()).toEqual(['batch-new']);
      }),
    );

    it(
      'moves a batch on only from the statuses named, one of two racing moves winning',
      withStore(async ({ store, peer }) => {
        await store.createBatch(batchRecord('batch-t', 2), batchLines(2), []);
        const moved = await store.transition('batch-t', ['in_progress'], (b) => ({
          ...b,
          status: 'finalizing',
          times: { ...b.times, finalizing: T0 + 5 },
        }));
        expect(moved?.status).toBe('finalizing');
        expect(await store.batch('batch-t')).toEqual(moved);
        expect(await store.transition('batch-t', ['in_progress'], (b) => b)).toBeUndefined();
        expect(await store.transition('batch-none', ['in_progress'], (b) => b)).toBeUndefined();

        const other = await peer();
        for (let round = 0; round < 10; round++) {
          const id = `batch-race-${round}`;
          await store.createBatch(batchRecord(id, 1), batchLines(1), []);
          const outcomes = await Promise.all([
            store.transition(id, ['in_progress'], (b) => ({ ...b, status: 'cancelling' })),
            other.transition(id, ['in_progress'], (b) => ({ ...b, status: 'finalizing' })),
          ]);
          const winners = outcomes.filter((o) => o !== undefined);
          expect(winners).toHaveLength(1);
          expect((await store.batch(id))?.status).toBe(winners[0]?.status);
        }
      }),
    );

    it(
      'claims free lines only: leases hold them, release frees them at once, renew extends them',
      withStore(async ({ store, clock }) => {
        await store.createBatch(batchRecord('batch-c', 10), batchLines(10), []);
        const first = await store.claim('batch-c', claimer, clock.now());
        expect(first).toHaveLength(4);
        expect(first.every((c) => c.batchId === 'batch-c' && c.leaseUntil === clock.now() + LEASE)).toBe(
          true,
        );
        expect(first[0]?.line).toEqual(batchLines(10)[first[0]?.line.index ?? -1]);
        const second = await store.claim('batch-c', claimer, clock.now());
        const third = await store.claim('batch-c', claimer, clock.now());
        expect(indexes([...first, ...second, ...third])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(await store.claim('batch-c', claimer, clock.now())).toEqual([]);

        // Released: at once. Completed: never again.
        await store.release(third[0] as (typeof third)[0]);
        expect(indexes(await store.claim('batch-c', claimer, clock.now()))).toEqual([third[0]?.line.index]);
        await store.complete('batch-c', succeeded(first[0]?.line.index ?? -1));

        // Renewed lines outlive their first lease; the others come back after it.
        clock.advance(LEASE / 2);
        await store.renew(second, LEASE, clock.now());
        clock.advance(LEASE / 2);
        // A lease holds until its end: a millisecond before, nothing is free.
        expect(await store.claim('batch-c', { ...claimer, max: 1 }, clock.now() - 1)).toEqual([]);
        const expired = await store.claim('batch-c', { ...claimer, max: 10 }, clock.now());
        const stillLeased = new Set(indexes(second));
        const done = first[0]?.line.index;
        expect(indexes(expired)).toEqual(
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((i) => i !== done && !stillLeased.has(i)),
        );
        clock.advance(LEASE / 2);
        expect(indexes(await store.claim('batch-c', { ...claimer, max: 10 }, clock.now()))).toEqual(
          indexes(second),
        );
        expect(await store.claim('batch-none', claimer, clock.now())).toEqual([]);
      }),
    );

    it(
      'keeps the known results of a batch and never claims their lines',
      withStore(async ({ store, clock }) => {
        const malformed: LineResult = {
          index: 1,
          customId: 'req-1',
          outcome: 'errored',
          status: 0,
          requestId: '',
          error: { code: 'invalid_line', message: 'not JSON' },
        };
        await store.createBatch(batchRecord('batch-k', 3), batchLines(3, new Set([1])), [malformed]);
        expect(await store.progress('batch-k')).toEqual({
          total: 3,
          succeeded: 0,
          errored: 1,
          canceled: 0,
          expired: 0,
        });
        expect(indexes(await store.claim('batch-k', { ...claimer, max: 10 }, clock.now()))).toEqual([0, 2]);
        expect(await store.results('batch-k')).toEqual([malformed]);
        expect(await store.complete('batch-k', { ...malformed, outcome: 'succeeded' })).toBe(false);
      }),
    );

    it(
      'writes each line once, whoever completes it, and returns results in line order',
      withStore(async ({ store, peer }) => {
        await store.createBatch(batchRecord('batch-x', 6), batchLines(6), []);
        expect(await store.complete('batch-x', succeeded(4))).toBe(true);
        expect(await store.complete('batch-x', succeeded(4, 'r-again'))).toBe(false);
        expect(await store.complete('batch-x', succeeded(0))).toBe(true);
        const other = await peer();
        const race = await Promise.all([
          store.complete('batch-x', succeeded(2, 'from-a')),
          other.complete('batch-x', succeeded(2, 'from-b')),
          other.complete('batch-x', succeeded(2, 'from-b2')),
          store.complete('batch-x', succeeded(2, 'from-a2')),
        ]);
        expect(race.filter(Boolean)).toHaveLength(1);
        const results = await other.results('batch-x');
        expect(results.map((r) => r.index)).toEqual([0, 2, 4]);
        expect(results[2]).toEqual(succeeded(4));
        const winner = ['from-a', 'from-b', 'from-b2', 'from-a2'][race.indexOf(true)];
        expect(results[1]?.requestId).toBe(winner);
        expect(await store.complete('batch-none', succeeded(0))).toBe(false);
      }),
    );

    it(
      'counts results per outcome',
      withStore(async ({ store }) => {
        await store.createBatch(batchRecord('batch-p', 5), batchLines(5), []);
        expect(await store.progress('batch-p')).toEqual({
          total: 5,
          succeeded: 0,
          errored: 0,
          canceled: 0,
          expired: 0,
        });
        await store.complete('batch-p', succeeded(0));
        await store.complete('batch-p', succeeded(1));
        await store.complete('batch-p', { ...succeeded(2), outcome: 'errored', status: 429 });
        await store.complete('batch-p', succeeded(1));
        expect(await store.progress('batch-p')).toEqual({
          total: 5,
          succeeded: 2,
          errored: 1,
          canceled: 0,
          expired: 0,
        });
      }),
    );

    it(
      'ends every line without a result as cancelled or expired, once',
      withStore(async ({ store, clock }) => {
        await store.createBatch(batchRecord('batch-e', 5), batchLines(5), []);
        await store.complete('batch-e', succeeded(1));
        await store.claim('batch-e', { ...claimer, max: 2 }, clock.now());
        expect(await store.endRemaining('batch-e', 'canceled', clock.now())).toBe(4);
        expect(await store.endRemaining('batch-e', 'canceled', clock.now())).toBe(0);
        expect(await store.complete('batch-e', succeeded(3))).toBe(false);
        clock.advance(2 * LEASE);
        expect(await store.claim('batch-e', claimer, clock.now())).toEqual([]);
        const results = await store.results('batch-e');
        expect(results.map((r) => r.outcome)).toEqual([
          'canceled',
          'succeeded',
          'canceled',
          'canceled',
          'canceled',
        ]);
        expect(results[0]).toEqual({
          index: 0,
          customId: 'req-0',
          outcome: 'canceled',
          status: 0,
          requestId: '',
          error: { code: 'batch_cancelled', message: expect.any(String) },
        });
        expect(await store.progress('batch-e')).toEqual({
          total: 5,
          succeeded: 1,
          errored: 0,
          canceled: 4,
          expired: 0,
        });

        await store.createBatch(batchRecord('batch-ex', 2), batchLines(2), []);
        expect(await store.endRemaining('batch-ex', 'expired', clock.now())).toBe(2);
        expect((await store.results('batch-ex')).map((r) => r.error?.code)).toEqual([
          'batch_expired',
          'batch_expired',
        ]);
        expect(await store.endRemaining('batch-none', 'expired', clock.now())).toBe(0);
      }),
    );

    it(
      'drains a 5,000-line batch with three instances claiming at once: every line once, none lost',
      withStore(async ({ store, clock, peer }) => {
        const total = 5_000;
        await store.createBatch(batchRecord('batch-big', total), batchLines(total), []);
        const instances = [store, await peer(), await peer()];
        const claimedBy = new Map<number, number>();
        let kept = 0;
        await Promise.all(
          instances.map(async (instance, n) => {
            for (;;) {
              const claims = await instance.claim(
                'batch-big',
                { instance: `i${n}`, leaseMs: LEASE, max: 64 },
                clock.now(),
              );
              if (claims.length === 0) return;
              for (const claim of claims) {
                expect(claimedBy.has(claim.line.index)).toBe(false);
                claimedBy.set(claim.line.index, n);
              }
              const done = await Promise.all(
                claims.map((c) => instance.complete('batch-big', succeeded(c.line.index, `i${n}`))),
              );
              kept += done.filter(Boolean).length;
            }
          }),
        );
        expect(kept).toBe(total);
        expect(claimedBy.size).toBe(total);
        const results = await store.results('batch-big');
        expect(results.map((r) => r.index)).toEqual([...Array(total).keys()]);
        expect(results.every((r) => r.requestId === `i${claimedBy.get(r.index)}`)).toBe(true);
        expect((await store.progress('batch-big')).succeeded).toBe(total);
      }),
    );
  });
}

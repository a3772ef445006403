/**
 * The file store after a crash or a restart: what was acknowledged is there,
 * what a crash left half-written is gone, and nothing is claimed.
 */

import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, InvalidStoreIdError } from '../../src/batches/store/errors.js';
import { FileBatchStore } from '../../src/batches/store/file-batch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { batchLines, batchRecord, fileRecord, succeeded } from './batch-store-contract.js';

const LEASE = 60_000;
let dir: string;
const opened: FileBatchStore[] = [];
const open = () => {
  const store = new FileBatchStore({ dir });
  opened.push(store);
  return store;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-batches-'));
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('FileBatchStore, reopened', () => {
  it('sees every record and result written before, and claims every line without a result at once', async () => {
    const clock = new ManualClock();
    const before = open();
    await before.putFile(fileRecord('file-in'), new Uint8Array([1, 2, 3]));
    await before.createBatch(batchRecord('batch-r', 10), batchLines(10), []);
    for (const index of [0, 1, 2, 3, 4]) await before.complete('batch-r', succeeded(index));
    // Claimed by the old process, which then stops: its leases die with it.
    await before.claim('batch-r', { instance: 'old', leaseMs: LEASE, max: 3 }, clock.now());
    const moved = await before.transition('batch-r', ['in_progress'], (b) => ({
      ...b,
      status: 'cancelling',
    }));
    await before.close();

    const after = open();
    expect(await after.file('file-in')).toEqual(fileRecord('file-in'));
    expect(await after.fileContent('file-in')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await after.batch('batch-r')).toEqual(moved);
    expect((await after.results('batch-r')).map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(await after.progress('batch-r')).toEqual({
      total: 10,
      succeeded: 5,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
    const claims = await after.claim('batch-r', { instance: 'new', leaseMs: LEASE, max: 10 }, clock.now());
    expect(claims.map((c) => c.line.index)).toEqual([5, 6, 7, 8, 9]);
    expect(await after.complete('batch-r', succeeded(2))).toBe(false);
  });

  it('drops a torn last result line, a half-created batch and orphaned file parts', async () => {
    const first = open();
    await first.createBatch(batchRecord('batch-t', 4), batchLines(4), []);
    await first.complete('batch-t', succeeded(0));
    await first.complete('batch-t', succeeded(1));
    await first.putFile(fileRecord('file-kept'), new Uint8Array([7]));
    await first.close();

    // A crash mid-append, mid-create and mid-upload.
    const log = join(dir, 'batches', 'batch-t', 'results.jsonl');
    appendFileSync(log, '{"index":2,"customId":"req-2","outc');
    const halfBatch = join(dir, 'batches', '.tmp-batch-half-0a1b2c3d');
    mkdirSync(halfBatch);
    writeFileSync(join(halfBatch, 'batch.json'), JSON.stringify(batchRecord('batch-half', 1)));
    writeFileSync(join(dir, 'files', 'file-orphan.bin'), 'x');
    writeFileSync(join(dir, 'files', '.tmp-file-new.json-0a1b2c3d'), '{"id":');

    const second = open();
    expect((await second.results('batch-t')).map((r) => r.index)).toEqual([0, 1]);
    expect((await second.activeBatches()).map((b) => b.id)).toEqual(['batch-t']);
    expect(await second.batch('batch-half')).toBeUndefined();
    expect(existsSync(halfBatch)).toBe(false);
    expect(readdirSync(join(dir, 'files')).sort()).toEqual(['file-kept.bin', 'file-kept.json']);
    expect(readFileSync(log, 'utf8').endsWith('\n')).toBe(true);
    // The next append starts a line of its own, not the torn one's tail.
    expect(await second.complete('batch-t', succeeded(2))).toBe(true);
    await second.close();

    const third = open();
    expect((await third.results('batch-t')).map((r) => r.index)).toEqual([0, 1, 2]);
    expect((await third.progress('batch-t')).succeeded).toBe(3);
  });

  it('keeps the first result of a line written twice to the log', async () => {
    const first = open();
    await first.createBatch(batchRecord('batch-d', 2), batchLines(2), []);
    await first.complete('batch-d', succeeded(0, 'first'));
    await first.close();
    appendFileSync(
      join(dir, 'batches', 'batch-d', 'results.jsonl'),
      `${JSON.stringify(succeeded(0, 'second'))}\n`,
    );

    const second = open();
    expect((await second.results('batch-d')).map((r) => r.requestId)).toEqual(['first']);
    expect((await second.progress('batch-d')).succeeded).toBe(1);
  });

  it('writes a 50,000-line batch and claims from it', async () => {
    const store = open();
    await store.createBatch(batchRecord('batch-50k', 50_000), batchLines(50_000), []);
    const reopened = open();
    const claims = await reopened.claim('batch-50k', { instance: 'a', leaseMs: LEASE, max: 50_000 }, 0);
    expect(claims).toHaveLength(50_000);
    expect(claims[49_999]?.line).toEqual(batchLines(50_000)[49_999]);
  });

  it('refuses ids that would leave its directory', async () => {
    const store = open();
    await expect(store.putFile(fileRecord('../escape'), new Uint8Array())).rejects.toBeInstanceOf(
      InvalidStoreIdError,
    );
    await expect(store.createBatch(batchRecord('.tmp-x', 1), batchLines(1), [])).rejects.toBeInstanceOf(
      InvalidStoreIdError,
    );
    expect(await store.file('../escape')).toBeUndefined();
  });

  it('refuses a directory another live process owns, and takes over one whose owner died', async () => {
    writeFileSync(join(dir, 'owner.pid'), `${process.ppid}\n`);
    await expect(open().file('file-a')).rejects.toBeInstanceOf(DataDirLockedError);

    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, 'owner.pid'), `${dead}\n`);
    const store = open();
    expect(await store.file('file-a')).toBeUndefined();
    expect(readFileSync(join(dir, 'owner.pid'), 'utf8')).toBe(`${process.pid}\n`);
    await store.close();
    expect(existsSync(join(dir, 'owner.pid'))).toBe(false);
  });
});

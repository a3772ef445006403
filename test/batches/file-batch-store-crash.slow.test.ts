/**
 * A process writing results is SIGKILLed mid-stream: every result it was
 * told was durable (printed after `complete` resolved) is there after a
 * reopen, exactly once, and every other line can be claimed again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { FileBatchStore } from '../../src/batches/store/file-batch-store.js';
import { batchLines, batchRecord } from './batch-store-contract.js';

const WRITER = fileURLToPath(new URL('./results-writer.ts', import.meta.url));
const LINES = 50_000;
/** Acknowledgements to wait for before the kill: well into the stream, far from its end. */
const KILL_AFTER = 3_000;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('keeps every acknowledged result exactly once across a SIGKILL', async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-batches-crash-'));
  const setup = new FileBatchStore({ dir });
  await setup.createBatch(batchRecord('batch-crash', LINES), batchLines(LINES), []);
  await setup.close();

  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, 'batch-crash', String(LINES)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let acknowledged = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    acknowledged += chunk.toString().split('\n').length - 1;
    if (acknowledged >= KILL_AFTER) child.kill('SIGKILL');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('close', (_code, s) => resolve(s)),
  );
  expect(stderr).toBe('');
  expect(signal).toBe('SIGKILL');

  // Only whole lines: the last may have been cut by the kill.
  const acked = stdout.slice(0, stdout.lastIndexOf('\n')).split('\n').map(Number);
  expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(stdout).not.toContain('finished');

  const reopened = new FileBatchStore({ dir });
  const results = await reopened.results('batch-crash');
  const indexes = results.map((r) => r.index);
  expect(new Set(indexes).size).toBe(indexes.length);
  const written = new Set(indexes);
  expect(acked.filter((index) => !written.has(index))).toEqual([]);
  expect((await reopened.progress('batch-crash')).succeeded).toBe(results.length);
  const claims = await reopened.claim('batch-crash', { instance: 'after', leaseMs: 60_000, max: LINES }, 0);
  expect(claims.length).toBe(LINES - results.length);
  expect(claims.every((c) => !written.has(c.line.index))).toBe(true);
  await reopened.close();
}, 120_000);

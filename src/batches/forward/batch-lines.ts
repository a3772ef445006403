/**
 * The lines of a batch that have no result yet, read by claiming them and
 * at once giving them back (`release`): a forwarded batch is never run line
 * by line, but the claim is what keeps two instances from acting on it at
 * once (send, recover, write results). Undefined when another instance
 * holds some of them right now (the caller tries again on its next tick
 * rather than act on a part).
 */
import type { BatchLine, BatchRecord } from '../batch.js';
import { linesDone } from '../batch.js';
import type { BatchStore } from '../batch-store.js';

export async function linesWithoutResult(
  store: BatchStore,
  batch: BatchRecord,
  options: { instance: string; now: number },
): Promise<BatchLine[] | undefined> {
  const claims = await store.claim(
    batch.id,
    { instance: options.instance, leaseMs: 60_000, max: batch.total },
    options.now,
  );
  await Promise.all(claims.map((c) => store.release(c)));
  const done = linesDone(await store.progress(batch.id));
  if (done + claims.length < batch.total) return undefined;
  return claims.map((c) => c.line).sort((a, b) => a.index - b.index);
}

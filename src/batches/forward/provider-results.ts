/**
 * Writes what an ended provider batch says about each line into the store:
 * the results it wrote, then every line it has none for, by how the batch
 * ended (expired → `expired`, cancelled → `canceled`, completed → errored
 * `missing_result`: a line the provider dropped must still appear once).
 * `complete` keeps the first result per line, so writing again after a
 * crash part way through changes nothing already written.
 */
import type { BatchLine, LineResult } from '../batch.js';
import type { BatchStore } from '../batch-store.js';

export async function writeProviderResults(
  store: BatchStore,
  batchId: string,
  input: {
    readonly lines: readonly BatchLine[];
    readonly results: readonly LineResult[];
    readonly outcome: 'completed' | 'expired' | 'cancelled';
    readonly now: number;
  },
): Promise<void> {
  const answered = new Set<number>();
  for (const result of input.results) {
    answered.add(result.index);
    await store.complete(batchId, result);
  }
  const missing = input.lines.filter((l) => !answered.has(l.index));
  if (missing.length === 0) return;
  if (input.outcome !== 'completed') {
    await store.endRemaining(batchId, input.outcome === 'expired' ? 'expired' : 'canceled', input.now);
    return;
  }
  for (const line of missing) await store.complete(batchId, missingResult(line));
}

function missingResult(line: BatchLine): LineResult {
  return {
    index: line.index,
    customId: line.customId,
    outcome: 'errored',
    status: 0,
    requestId: '',
    error: {
      code: 'missing_result',
      message: 'The provider ended the batch without a result for this request.',
    },
  };
}

/**
 * The result `endRemaining` writes for a line that never ran because its
 * batch was cancelled or expired: one shape for every store.
 */
import type { LineResult } from '../batch.js';

export type EndOutcome = 'canceled' | 'expired';

const MESSAGES: Readonly<Record<EndOutcome, string>> = {
  canceled: 'The batch was cancelled before this request ran.',
  expired: 'The batch expired before this request ran.',
};

export function endedResult(index: number, customId: string, outcome: EndOutcome): LineResult {
  return {
    index,
    customId,
    outcome,
    status: 0,
    requestId: '',
    error: { code: outcome === 'canceled' ? 'batch_cancelled' : 'batch_expired', message: MESSAGES[outcome] },
  };
}

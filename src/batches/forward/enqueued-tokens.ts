/**
 * Each forwarding deployment's enqueued-token limit (the provider's batch
 * queue: input tokens of batches queued per model, PROVIDERS.md §1.4) as a
 * bucket Sluice keeps cluster-wide: what is held is read from the store
 * (the `forward.enqueuedTokens` of every forwarded batch sent or being
 * sent and not ended), so every instance sees the same sum without a
 * counter of its own that a crash could leave wrong. The limit is the
 * configured `enqueued_tokens`, lowered when the provider refuses a batch
 * with `token_limit_exceeded` (its message names the real limit).
 */
import type { BatchRecord } from '../batch.js';

export interface EnqueuedReading {
  readonly deployment: string;
  /** Input tokens of its forwarded batches not ended. */
  readonly tokens: number;
  /** The limit in force (configured, or lower when learned); undefined: none known. */
  readonly limit: number | undefined;
}

/** Whether a batch holds room on its deployment's queue now. */
export function holdsRoom(batch: BatchRecord): boolean {
  const f = batch.forward;
  if (batch.mode !== 'forward' || !f || f.endedAs !== undefined) return false;
  return f.providerBatchId !== undefined || f.submittingAt !== undefined;
}

/** Tokens held per deployment by the active batches given. */
export function enqueuedByDeployment(batches: readonly BatchRecord[]): Map<string, number> {
  const held = new Map<string, number>();
  for (const b of batches) {
    if (!holdsRoom(b) || !b.forward) continue;
    held.set(b.forward.deployment, (held.get(b.forward.deployment) ?? 0) + b.forward.enqueuedTokens);
  }
  return held;
}

/** `Limit: 2,000,000 enqueued tokens` in OpenAI's `token_limit_exceeded` message. */
export function limitNamedIn(message: string): number | undefined {
  const m = /Limit:\s*([\d,_]+)\s*enqueued tokens/i.exec(message);
  if (!m?.[1]) return undefined;
  const n = Number(m[1].replace(/[,_]/g, ''));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Learned limits, per deployment, below the configured ones (this instance's; a restart starts from config). */
export class EnqueuedLimits {
  private readonly learned = new Map<string, number>();

  /** The limit in force for a deployment configured with `configured`. */
  limit(deployment: string, configured: number | undefined): number | undefined {
    const learned = this.learned.get(deployment);
    if (learned === undefined) return configured;
    return configured === undefined ? learned : Math.min(configured, learned);
  }

  /**
   * The provider refused a batch: its limit is the one it named, else at
   * most what was held then besides the batch (never below one token, so a
   * lone batch can still be tried again).
   */
  refused(
    deployment: string,
    options: { message: string; heldBesides: number; batchTokens: number },
  ): number {
    const named = limitNamedIn(options.message);
    const guess = named ?? Math.max(1, options.heldBesides + options.batchTokens - 1);
    const next = Math.min(this.learned.get(deployment) ?? Number.POSITIVE_INFINITY, guess);
    this.learned.set(deployment, next);
    return next;
  }
}

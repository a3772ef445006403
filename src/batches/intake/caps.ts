/**
 * The caps a new batch must fit: the lane's (`batches.max_lines`,
 * `batches.max_file_bytes`) and, tighter where set, the tenant's tier's
 * (`tiers.<t>.batches`), whose `max_enqueued_tokens` bounds the estimated
 * input tokens of the tenant's batches not ended yet, the new one included.
 * Pure: the refusal, in the caller's terms, or undefined.
 */
import { type Refusal, refusal } from '../../runtime/refusal.js';
import type { Intake } from './intake.js';

export interface BatchCaps {
  readonly maxLines: number;
  readonly maxFileBytes: number;
  readonly maxEnqueuedTokens: number | undefined;
}

export interface LaneCaps {
  readonly max_lines: number;
  readonly max_file_bytes: number;
}

export interface TierBatchCaps {
  readonly max_lines?: number | undefined;
  readonly max_file_bytes?: number | undefined;
  readonly max_enqueued_tokens?: number | undefined;
}

export function batchCaps(lane: LaneCaps, tier: TierBatchCaps | undefined): BatchCaps {
  return {
    maxLines: Math.min(lane.max_lines, tier?.max_lines ?? Number.POSITIVE_INFINITY),
    maxFileBytes: Math.min(lane.max_file_bytes, tier?.max_file_bytes ?? Number.POSITIVE_INFINITY),
    maxEnqueuedTokens: tier?.max_enqueued_tokens,
  };
}

/** The refusal of an input over the byte cap (an upload, an Anthropic create, a file uploaded under other caps). */
export function fileTooLarge(caps: BatchCaps): Refusal {
  return refusal(
    'file_too_large',
    `File is too large: batches here take at most ${caps.maxFileBytes} bytes.`,
  );
}

export function tooLarge(bytes: number, caps: BatchCaps): Refusal | undefined {
  return bytes > caps.maxFileBytes ? fileTooLarge(caps) : undefined;
}

/**
 * Why the batch cannot be created: too many lines, no line that can run,
 * or more enqueued tokens than the tier allows (`enqueued`: the tenant's
 * batches not ended yet).
 */
export function intakeRefusal(intake: Intake, caps: BatchCaps, enqueued: number): Refusal | undefined {
  if (intake.total > caps.maxLines) {
    return refusal(
      'batch_too_many_lines',
      `The batch has ${intake.total} requests; batches here take at most ${caps.maxLines}.`,
    );
  }
  if (intake.lines.length === 0) {
    const why = intake.known
      .slice(0, 3)
      .map((r) => r.error?.message)
      .filter((m) => m !== undefined);
    return refusal(
      'batch_empty',
      `The batch has no request that can run${why.length > 0 ? `: ${why.join(' ')}` : ': the input is empty.'}`,
    );
  }
  const max = caps.maxEnqueuedTokens;
  if (max !== undefined && enqueued + intake.inputTokens > max) {
    return refusal(
      'batch_tokens_exceeded',
      `Enqueued token limit reached: this batch needs about ${intake.inputTokens.toLocaleString('en-US')} input tokens and your batches not yet ended hold ${enqueued.toLocaleString('en-US')}, of at most ${max.toLocaleString('en-US')}. Try again once some of them have ended.`,
    );
  }
  return undefined;
}

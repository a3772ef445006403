/**
 * What the runner needs of a provider's Batch API, whichever provider:
 * send a batch, find one sent before a crash, read where it is, read its
 * results as Sluice's line results, cancel it. `openai-batches.ts` and
 * `anthropic-batches.ts` implement it over their wire shapes.
 */
import type { BatchLine, BatchRecord, LineResult } from '../batch.js';

/** A provider batch's place: still checking its input, running, or ended with an outcome. */
export type ProviderBatchState =
  | { readonly phase: 'validating' }
  | { readonly phase: 'running' }
  | {
      readonly phase: 'ended';
      readonly outcome: 'completed' | 'expired' | 'cancelled' | 'failed';
      /** Why it failed as a whole (OpenAI `errors.data`; e.g. `token_limit_exceeded`). */
      readonly errors: readonly { readonly code: string; readonly message: string }[];
    };

export interface SubmittedBatch {
  readonly providerBatchId: string;
  readonly providerFileId?: string | undefined;
}

export interface ProviderBatchClient {
  /** Creates the batch at the provider, tagged with the Sluice batch's id where the API allows. */
  submit(batch: BatchRecord, lines: readonly BatchLine[]): Promise<SubmittedBatch>;
  /**
   * The provider batch an instance created for `batch` and died before
   * recording (created at or after `since`), or undefined when there is none.
   * `taken` are provider ids other Sluice batches hold.
   */
  find(
    batch: BatchRecord,
    lines: readonly BatchLine[],
    options: { since: number; taken: ReadonlySet<string> },
  ): Promise<string | undefined>;
  state(providerBatchId: string): Promise<ProviderBatchState>;
  /** The results the provider wrote, one per line it ran (lines it never reached are absent). */
  results(providerBatchId: string, lines: readonly BatchLine[]): Promise<LineResult[]>;
  cancel(providerBatchId: string): Promise<void>;
}

/** Tokens a result's usage reports (input + output), 0 when it has none. */
export function usageTokens(body: unknown): number {
  if (typeof body !== 'object' || body === null) return 0;
  const usage = (body as { usage?: unknown }).usage;
  if (typeof usage !== 'object' || usage === null) return 0;
  const u = usage as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return (
    n(u.prompt_tokens ?? u.input_tokens) +
    n(u.completion_tokens ?? u.output_tokens) +
    n(u.cache_creation_input_tokens) +
    n(u.cache_read_input_tokens)
  );
}

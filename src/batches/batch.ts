/**
 * The background lane's records, whatever the API a batch came in by
 * (OpenAI `/v1/batches`, Anthropic `/v1/messages/batches`) and whatever
 * runs it (`drain`: Sluice itself, line by line through the governor;
 * `forward`: the provider's own Batch API). The gateway's API modules only
 * render these in their wire shapes; the stores (`batch-store.ts`) keep them.
 *
 * Times are Unix milliseconds from the injected clock.
 */

/** The API a batch or file was created through: its objects come back in that API's shapes. */
export type BatchApi = 'openai' | 'anthropic';

/** How a batch runs, chosen per model group (`model_groups.<g>.batch.mode`). */
export type BatchMode = 'drain' | 'forward';

/**
 * A batch's life, in OpenAI's words (Anthropic's `processing_status` maps
 * `validating`/`in_progress`/`finalizing` to `in_progress`, `cancelling` to
 * `canceling`, every end to `ended`).
 */
export type BatchStatus =
  | 'validating'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'failed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

/** Statuses after which nothing about the batch changes. */
export const ENDED_STATUSES: ReadonlySet<BatchStatus> = new Set<BatchStatus>([
  'completed',
  'failed',
  'expired',
  'cancelled',
]);

/** How one line ended (Anthropic's result types; OpenAI writes the last three to the error file). */
export type LineOutcome = 'succeeded' | 'errored' | 'canceled' | 'expired';

/** An uploaded or generated file (OpenAI Files API). Its bytes are kept apart (`BatchStore.fileContent`). */
export interface FileRecord {
  readonly id: string;
  readonly tenant: string;
  /** `batch` for uploads; `batch_output` for the output and error files Sluice writes. */
  readonly purpose: string;
  readonly filename: string;
  readonly bytes: number;
  readonly createdAt: number;
  /** Deleted with its content after this (undefined: kept until deleted). */
  readonly expiresAt?: number | undefined;
  /**
   * A batch's output or error file: its content is rendered from the batch's
   * results when read (`src/batches/wire/`), never stored twice.
   */
  readonly source?: { readonly batchId: string; readonly part: 'output' | 'error' } | undefined;
}

/** One request of a batch, as parsed from its input line. */
export interface BatchLine {
  /** 0-based position in the input; results are written in this order. */
  readonly index: number;
  readonly customId: string;
  /** The endpoint the line calls, e.g. `/v1/chat/completions` (Anthropic: always `/v1/messages`). */
  readonly url: string;
  /** The request body (OpenAI `body`, Anthropic `params`). */
  readonly body: Record<string, unknown>;
}

/** How one line ended; written once per `customId`, whatever ran it how often. */
export interface LineResult {
  readonly index: number;
  readonly customId: string;
  readonly outcome: LineOutcome;
  /** HTTP status of the answer (0 for lines that never ran: canceled, expired, malformed). */
  readonly status: number;
  /** `x-sluice-request-id` of the call that answered it ('' when none ran). */
  readonly requestId: string;
  /** The answer's JSON body (success, or the provider's or Sluice's error body). */
  readonly body?: unknown;
  /** Why the line failed without an HTTP answer (malformed line, canceled, expired). */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** Tokens the line's call used, for progress and cost (0 when none ran). */
  readonly tokens?: number | undefined;
}

/** A forwarded batch's place at the provider. */
export interface ForwardState {
  /** The deployment (and so the provider key) the batch was sent to. */
  readonly deployment: string;
  /** The provider's batch id, once created there. */
  readonly providerBatchId?: string | undefined;
  /** OpenAI: the provider's input file id. */
  readonly providerFileId?: string | undefined;
  /** Input tokens held on the deployment's enqueued-token bucket until the batch ends. */
  readonly enqueuedTokens: number;
  /**
   * Set (store first) just before the provider's create is sent: the
   * batch then holds its tokens, and an instance finding the mark without
   * a `providerBatchId` looks for the provider's batch before sending
   * another (`src/batches/forward/forward-runner.ts`).
   */
  readonly submittingAt?: number | undefined;
  /** Why the batch is not at the provider yet (no room in its enqueued-token limit, the provider refused). */
  readonly waiting?: { readonly code: string; readonly message: string } | undefined;
  /** The cancel was sent to the provider. */
  readonly cancelSent?: boolean | undefined;
  /** The provider's batch ended this way and every result is written: only finalizing is left. */
  readonly endedAs?: 'completed' | 'expired' | 'cancelled' | 'failed' | undefined;
}

export interface RequestCounts {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
}

export interface BatchRecord {
  readonly id: string;
  readonly tenant: string;
  readonly api: BatchApi;
  readonly mode: BatchMode;
  /** The endpoint every line calls (OpenAI `endpoint`; Anthropic `/v1/messages`). */
  readonly endpoint: string;
  /** The model group the lines name (the first line's; lines naming others run in their own groups). */
  readonly model: string;
  /** OpenAI: the uploaded input file. */
  readonly inputFileId?: string | undefined;
  readonly completionWindow: string;
  readonly metadata?: Record<string, string> | null | undefined;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly status: BatchStatus;
  /** When each status began (`in_progress`, `finalizing`, `completed`, …). */
  readonly times: Readonly<Partial<Record<BatchStatus, number>>>;
  /** Lines in the batch (set at creation). */
  readonly total: number;
  /** Input tokens estimated for the whole batch (enqueued-token caps and forward buckets). */
  readonly inputTokens: number;
  /** Set when the batch ends (OpenAI): the files holding its results. */
  readonly outputFileId?: string | undefined;
  readonly errorFileId?: string | undefined;
  /** Why a batch failed as a whole (never because of one bad line: that is an error line). */
  readonly errors?: readonly { readonly code: string; readonly message: string }[] | undefined;
  readonly forward?: ForwardState | undefined;
}

/** Lines done so far, from the results written (the store counts; nothing else keeps a tally). */
export interface BatchProgress {
  readonly total: number;
  readonly succeeded: number;
  readonly errored: number;
  readonly canceled: number;
  readonly expired: number;
}

export function linesDone(p: BatchProgress): number {
  return p.succeeded + p.errored + p.canceled + p.expired;
}

export function requestCounts(p: BatchProgress): RequestCounts {
  return { total: p.total, completed: p.succeeded, failed: p.errored + p.canceled + p.expired };
}

/** A line an instance took to run, until its lease ends. */
export interface ClaimedLine {
  readonly batchId: string;
  readonly line: BatchLine;
  /** Ends the claim: after it another instance may take the line up again. */
  readonly leaseUntil: number;
}

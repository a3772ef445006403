/**
 * One batch of requests as the simulator runs it, whatever the provider:
 * lines answered one by one over simulated time, a phase and, once ended,
 * an outcome. The provider files (`openai-batches.ts`, `anthropic-batches.ts`)
 * only render this state in their own wire shapes.
 */

/** Where a batch is in its life; `ended` carries an outcome. */
export type BatchPhase = 'validating' | 'in_progress' | 'finalizing' | 'cancelling' | 'ended';
export type BatchOutcome = 'completed' | 'failed' | 'cancelled' | 'expired';

/** How one request of the batch ended. */
export type LineKind = 'succeeded' | 'errored' | 'canceled' | 'expired';

export interface BatchLine {
  readonly customId: string;
  /** The request body (OpenAI `body`, Anthropic `params`). */
  readonly body: unknown;
}

export interface LineResult {
  readonly customId: string;
  readonly kind: LineKind;
  /** HTTP status the request would have had (0 for canceled and expired requests). */
  readonly status: number;
  readonly requestId: string;
  /** The answer's JSON body; undefined for canceled and expired requests. */
  readonly body?: unknown;
}

/** A validation error of the whole batch (OpenAI `errors.data[]`). */
export interface BatchError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  readonly line: number | null;
}

/** Unix milliseconds at which each phase began. */
export interface BatchTimes {
  created: number;
  inProgress?: number;
  finalizing?: number;
  cancelling?: number;
  ended?: number;
}

export interface BatchJobInit {
  readonly id: string;
  readonly provider: 'openai' | 'anthropic';
  readonly key: string;
  readonly model: string;
  /** OpenAI's `endpoint`; Anthropic batches are always `/v1/messages`. */
  readonly endpoint: string;
  readonly lines: readonly BatchLine[];
  /** Input tokens the batch holds in the enqueued-token queue while it runs. */
  readonly inputTokens: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Errors that fail the batch in validation (OpenAI); Anthropic batches skip validation. */
  readonly validationErrors?: readonly BatchError[];
  readonly metadata?: Record<string, string> | null;
}

export class BatchJob {
  readonly id: string;
  readonly provider: 'openai' | 'anthropic';
  readonly key: string;
  readonly model: string;
  readonly endpoint: string;
  readonly lines: readonly BatchLine[];
  readonly inputTokens: number;
  readonly expiresAt: number;
  readonly metadata: Record<string, string> | null;
  validationErrors: readonly BatchError[];
  phase: BatchPhase;
  outcome: BatchOutcome | undefined;
  readonly times: BatchTimes;
  readonly results: LineResult[] = [];
  /** Set by the provider once the results are written (OpenAI output and error files). */
  outputFileId: string | null = null;
  errorFileId: string | null = null;

  constructor(init: BatchJobInit) {
    this.id = init.id;
    this.provider = init.provider;
    this.key = init.key;
    this.model = init.model;
    this.endpoint = init.endpoint;
    this.lines = init.lines;
    this.inputTokens = init.inputTokens;
    this.expiresAt = init.expiresAt;
    this.metadata = init.metadata ?? null;
    this.validationErrors = init.validationErrors ?? [];
    this.times = { created: init.createdAt };
    this.phase = init.provider === 'openai' ? 'validating' : 'in_progress';
    if (init.provider === 'anthropic') this.times.inProgress = init.createdAt;
  }

  /** Lines not answered yet. */
  get pending(): number {
    return this.lines.length - this.results.length;
  }

  /** Whether the batch still holds its place in the queue (tokens, requests in processing). */
  get queued(): boolean {
    return this.phase !== 'ended';
  }

  count(kind: LineKind): number {
    let n = 0;
    for (const r of this.results) if (r.kind === kind) n++;
    return n;
  }

  /** Ends the batch; unanswered lines end as `rest` (canceled or expired) when given. */
  end(outcome: BatchOutcome, now: number, rest?: 'canceled' | 'expired'): void {
    if (rest) {
      for (const line of this.lines.slice(this.results.length)) {
        this.results.push({ customId: line.customId, kind: rest, status: 0, requestId: '' });
      }
    }
    this.phase = 'ended';
    this.outcome = outcome;
    this.times.ended = now;
  }
}

/**
 * Runs batches over simulated time: validation, then one line answered
 * every `pace_ms_per_line`, then finalizing, then the end. Batch lines go
 * through the flavours' answer generation but never through the limiter:
 * providers keep batch traffic out of the synchronous RPM/TPM limits and
 * bound it by queue limits instead (PROVIDERS.md §1.4, §3).
 */
import type { Cancel, Clock } from '../../core/clock.js';
import type { BatchJob, BatchLine, LineResult } from './batch-job.js';

export interface BatchQueueOptions {
  readonly clock: Clock;
  readonly paceMsPerLine: number;
  /** Answers one line of a batch (the flavour's normal answer generation). */
  readonly answer: (job: BatchJob, line: BatchLine) => LineResult;
  /** Called once when a batch ends, to write its result files. */
  readonly ended: (job: BatchJob) => void;
  /** Refuses a batch in validation (OpenAI's enqueued-token limit): the error, or undefined to run it. */
  readonly admit: (job: BatchJob) => { code: string; message: string } | undefined;
}

export interface BatchQueueStats {
  readonly batches: Record<string, number>;
  readonly lines_answered: number;
  /** `provider|key|model` → input tokens held by batches not ended. */
  readonly queued_tokens: Record<string, number>;
}

export class BatchQueue {
  private readonly jobs = new Map<string, BatchJob>();
  private readonly timers = new Map<string, Cancel>();
  private answered = 0;

  constructor(private readonly options: BatchQueueOptions) {}

  get(id: string): BatchJob | undefined {
    return this.jobs.get(id);
  }

  /** Every batch of a provider and key, newest first (the order both list endpoints use). */
  list(provider: BatchJob['provider'], key: string): BatchJob[] {
    const mine = [...this.jobs.values()].filter((j) => j.provider === provider && j.key === key);
    return mine.reverse();
  }

  remove(id: string): void {
    this.timers.get(id)?.();
    this.timers.delete(id);
    this.jobs.delete(id);
  }

  add(job: BatchJob): void {
    this.jobs.set(job.id, job);
    // Validation is immediate; a batch that starts in progress answers its first line one pace later.
    const first = Math.min(this.options.paceMsPerLine, job.expiresAt - this.options.clock.now());
    this.later(job, job.phase === 'validating' ? 0 : first);
  }

  /** Input tokens, or requests, held by the batches of a scope that have not ended. */
  queued(provider: BatchJob['provider'], key: string, model?: string): { tokens: number; requests: number } {
    let tokens = 0;
    let requests = 0;
    for (const j of this.jobs.values()) {
      if (!j.queued || j.phase === 'validating' || j.provider !== provider || j.key !== key) continue;
      if (model !== undefined && j.model !== model) continue;
      tokens += j.inputTokens;
      requests += j.pending;
    }
    return { tokens, requests };
  }

  cancel(job: BatchJob): void {
    if (job.phase === 'ended' || job.phase === 'cancelling') return;
    job.phase = 'cancelling';
    job.times.cancelling = this.options.clock.now();
    this.later(job, 0);
  }

  /** Runs every batch to its end now (the `POST /_sim/batches/complete` control). */
  completeAll(): number {
    let n = 0;
    for (const job of this.jobs.values()) {
      if (job.phase === 'ended') continue;
      n++;
      this.timers.get(job.id)?.();
      // `step` moves the phase on; the loop ends once it reports no next step.
      while (this.step(job, true) !== undefined);
    }
    return n;
  }

  stats(): BatchQueueStats {
    const batches: Record<string, number> = {};
    const queuedTokens: Record<string, number> = {};
    for (const j of this.jobs.values()) {
      const state = j.outcome ?? j.phase;
      batches[`${j.provider}.${state}`] = (batches[`${j.provider}.${state}`] ?? 0) + 1;
      if (j.queued && j.phase !== 'validating') {
        const scope = `${j.provider}|${j.key}|${j.model}`;
        queuedTokens[scope] = (queuedTokens[scope] ?? 0) + j.inputTokens;
      }
    }
    return { batches, lines_answered: this.answered, queued_tokens: queuedTokens };
  }

  /** Forgets every batch (`POST /_sim/reset`). */
  reset(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    this.jobs.clear();
    this.answered = 0;
  }

  private later(job: BatchJob, delayMs: number): void {
    this.timers.get(job.id)?.();
    this.timers.set(
      job.id,
      this.options.clock.schedule(delayMs, () => {
        this.timers.delete(job.id);
        const pace = this.step(job, false);
        if (pace !== undefined) this.later(job, pace);
      }),
    );
  }

  /** Moves a batch one step on; returns the delay to the next step, or undefined once it has ended. */
  private step(job: BatchJob, rush: boolean): number | undefined {
    const { clock, paceMsPerLine } = this.options;
    const now = clock.now();
    const pace = rush ? 0 : paceMsPerLine;
    switch (job.phase) {
      case 'validating': {
        const refusal = job.validationErrors.length === 0 ? this.options.admit(job) : undefined;
        if (refusal) job.validationErrors = [{ ...refusal, param: null, line: null }];
        if (job.validationErrors.length > 0) return this.finish(job, 'failed', now);
        job.phase = 'in_progress';
        job.times.inProgress = now;
        return Math.min(pace, job.expiresAt - now);
      }
      case 'in_progress': {
        if (now >= job.expiresAt) return this.finish(job, 'expired', now, 'expired');
        // With no pace, every line is answered in this one step.
        const count = pace === 0 ? job.pending : 1;
        for (let i = 0; i < count; i++) {
          const line = job.lines[job.results.length] as BatchLine;
          job.results.push(this.options.answer(job, line));
          this.answered++;
        }
        // The next step comes no later than the deadline, so a batch expires at its `expires_at`.
        if (job.pending > 0) return Math.min(pace, job.expiresAt - now);
        job.phase = 'finalizing';
        job.times.finalizing = now;
        return pace;
      }
      case 'finalizing':
        return this.finish(job, 'completed', now);
      case 'cancelling':
        return this.finish(job, 'cancelled', now, 'canceled');
      case 'ended':
        return undefined;
    }
  }

  private finish(
    job: BatchJob,
    outcome: 'completed' | 'failed' | 'cancelled' | 'expired',
    now: number,
    rest?: 'canceled' | 'expired',
  ): undefined {
    job.end(outcome, now, rest);
    this.options.ended(job);
    return undefined;
  }
}

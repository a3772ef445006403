/**
 * The drain mode: this instance's share of the work on every batch that
 * Sluice runs itself. Each tick it reads the active batches from the store
 * (cluster-wide with Redis), moves them on (validating → in_progress,
 * cancelling → cancelled, past their window → expired, all lines answered
 * → completed) and fills its free slots with lines claimed round-robin
 * across batches. Each line runs as a call of the batch's tenant in the
 * `background` class (or its own, when the minimum share promotes it),
 * through the same lifecycle as any request; its answer is written with
 * `complete`, which keeps one result per line however often it ran.
 *
 * A line the governor could not serve yet (no capacity before its wait
 * ran out, an overload, a cut answer) is given back and claimed again
 * later; a claim lives `lineLeaseMs` and is renewed while its call runs, so
 * a line whose instance died is taken up by another after its lease.
 */
import type { Clock } from '../../core/clock.js';
import { type BatchRecord, type ClaimedLine, type LineResult, linesDone } from '../batch.js';
import { type BatchEnd, endBatch, type FinalizeDeps } from '../finalize.js';
import type { LineAnswer, RunLine } from './line-request.js';
import type { MinShare } from './min-share.js';

export interface DrainSettings {
  /** Lines in flight on this instance at most. */
  readonly concurrency: number;
  readonly lineLeaseMs: number;
  /** How often the active batches are read again when nothing else wakes the runner. */
  readonly pollMs: number;
  /** The class background lines run in. */
  readonly backgroundClass: string;
}

export interface DrainRunnerOptions extends FinalizeDeps {
  readonly clock: Clock;
  readonly instance: string;
  readonly settings: DrainSettings;
  readonly runLine: RunLine;
  readonly minShare: MinShare;
  /** Told of every line this instance answered (metrics, the dashboard). */
  readonly onLine?: ((batch: BatchRecord, result: LineResult, promoted: boolean) => void) | undefined;
}

/** Failed attempts of a line (upstream errors, not lack of capacity) before its error is its answer. */
const MAX_LINE_FAILURES = 3;
/** How long a list of active batches is used again by ticks that only fill slots freed by lines. */
const ACTIVE_REUSE_MS = 200;
/** Lines claimed from one batch at a time, so batches share the slots. */
const CLAIM_CHUNK = 8;
/** A batch whose line was given back is not claimed from again before this long. */
const MIN_BACKOFF_MS = 250;

interface Running {
  readonly claim: ClaimedLine;
  readonly batch: BatchRecord;
  readonly abort: AbortController;
  /** Settles once the line's result is written or the line was given back. */
  done?: Promise<void>;
}

export class DrainRunner {
  /** The lines in flight here, until each one's result is written or it is given back. */
  private readonly running = new Map<string, Running>();
  private readonly failures = new Map<string, number>();
  /** Per batch: not claimed from before this instant (a line of it was given back). */
  private readonly backoffUntil = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private turn = 0;
  private active: { readonly at: number; readonly batches: readonly BatchRecord[] } | undefined;
  /** The next tick reads the active batches from the store, whatever it read lately. */
  private refresh = true;

  constructor(private readonly options: DrainRunnerOptions) {}

  start(): void {
    this.wake();
    const renewEvery = Math.max(100, Math.floor(this.options.settings.lineLeaseMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), renewEvery);
    this.renewTimer.unref();
  }

  /** Runs a tick soon, reading the active batches afresh (a batch was created or cancelled); ticks never overlap. */
  wake(): void {
    this.refresh = true;
    this.fill();
  }

  /** Runs a tick soon to fill free slots (a line ended, the poll); ticks never overlap. */
  private fill(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.pass()
      .catch(() => undefined)
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.fill();
        } else this.schedule();
      });
  }

  /** Lines in flight on this instance. */
  get inFlight(): number {
    return this.running.size;
  }

  /** One pass on a fresh read of the active batches (what `wake` schedules). Public for deterministic tests. */
  async tick(): Promise<void> {
    this.refresh = true;
    await this.pass();
  }

  /** Moves batches on, then fills free slots. */
  private async pass(): Promise<void> {
    const { store, clock, settings } = this.options;
    const now = clock.now();
    const active = await this.activeDrained(now);
    const claimable: BatchRecord[] = [];
    for (const batch of active) {
      const moved = await this.advance(batch, now);
      if (moved?.status === 'in_progress') claimable.push(moved);
    }
    if (claimable.length === 0) return;
    // Round-robin from where the last tick stopped, so no batch owns the slots.
    const order = claimable.map((_, i) => claimable[(i + this.turn) % claimable.length] as BatchRecord);
    this.turn = (this.turn + 1) % claimable.length;
    let free = settings.concurrency - this.running.size;
    let claimedAny = true;
    while (free > 0 && claimedAny) {
      claimedAny = false;
      for (const batch of order) {
        if (free <= 0) break;
        if ((this.backoffUntil.get(batch.id) ?? 0) > now) continue;
        const claims = await store.claim(
          batch.id,
          {
            instance: this.options.instance,
            leaseMs: settings.lineLeaseMs,
            max: Math.min(free, CLAIM_CHUNK),
          },
          now,
        );
        if (claims.length === 0) {
          await this.completeIfDone(batch, now);
          continue;
        }
        claimedAny = true;
        free -= claims.length;
        for (const claim of claims) this.run(batch, claim);
      }
    }
  }

  /**
   * The active batches this runner drains. A line ending wakes the runner
   * to fill its slot: then a list read moments ago is used again, rather
   * than one store read per line answered (the next poll or an outside
   * wake reads it afresh).
   */
  private async activeDrained(now: number): Promise<readonly BatchRecord[]> {
    const cached = this.active;
    if (cached && !this.refresh && now - cached.at < ACTIVE_REUSE_MS) return cached.batches;
    this.refresh = false;
    const batches = (await this.options.store.activeBatches()).filter((b) => b.mode === 'drain');
    this.active = { at: now, batches };
    // A batch that ended has no backoff to keep (a long-lived gateway sees batches come and go).
    for (const id of this.backoffUntil.keys())
      if (!batches.some((b) => b.id === id)) this.backoffUntil.delete(id);
    return batches;
  }

  /** Moves a batch on as far as its state allows; returns it as it now stands. */
  private async advance(batch: BatchRecord, now: number): Promise<BatchRecord | undefined> {
    const { store } = this.options;
    if (now >= batch.expiresAt) return this.end(batch, 'expired', now);
    switch (batch.status) {
      case 'validating':
        return store.transition(batch.id, ['validating'], (b) => ({
          ...b,
          status: 'in_progress',
          times: { ...b.times, in_progress: now },
        }));
      case 'cancelling':
        return this.end(batch, 'cancelled', now);
      case 'finalizing':
        return this.end(batch, 'completed', now);
      default:
        return batch;
    }
  }

  private async end(batch: BatchRecord, end: BatchEnd, now: number): Promise<BatchRecord | undefined> {
    // Lines of this batch still running here are of no use any more (their results would be dropped).
    if (end !== 'completed') {
      for (const r of this.running.values()) if (r.batch.id === batch.id) r.abort.abort();
    }
    return endBatch(this.options, batch, end, now);
  }

  private async completeIfDone(batch: BatchRecord, now: number): Promise<void> {
    for (const r of this.running.values()) if (r.batch.id === batch.id) return;
    const progress = await this.options.store.progress(batch.id);
    if (linesDone(progress) >= progress.total) await this.end(batch, 'completed', now);
  }

  private run(batch: BatchRecord, claim: ClaimedLine): void {
    const key = lineKey(claim);
    const abort = new AbortController();
    const running: Running = { claim, batch, abort };
    this.running.set(key, running);
    running.done = this.runOne(batch, claim, abort.signal)
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(key);
        this.fill();
      });
  }

  /** Resolves once every line in flight now has its result written or was given back. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private async runOne(batch: BatchRecord, claim: ClaimedLine, signal: AbortSignal): Promise<void> {
    const { clock, settings, store, minShare } = this.options;
    const line = claim.line;
    const model = typeof line.body.model === 'string' ? line.body.model : batch.model;
    const promoted = minShare.promote(model, clock.now());
    let answer: LineAnswer;
    try {
      answer = await this.options.runLine({
        // A batch's API is the family its lines are calls of.
        family: batch.api,
        url: line.url,
        body: line.body,
        tenant: batch.tenant,
        priority: promoted ? undefined : settings.backgroundClass,
        signal,
      });
    } catch (error) {
      answer = {
        status: 500,
        requestId: '',
        body: undefined,
        final: false,
        error: { code: 'internal_error', message: (error as Error).message },
      };
    }
    const now = clock.now();
    if (signal.aborted) return;
    const key = lineKey(claim);
    if (!answer.final) {
      const failures = answer.refusal === undefined ? (this.failures.get(key) ?? 0) + 1 : 0;
      if (failures < MAX_LINE_FAILURES) {
        // No capacity yet, or an error that may pass: the line runs again later, here or elsewhere.
        if (failures > 0) this.failures.set(key, failures);
        this.backoffUntil.set(batch.id, now + Math.max(MIN_BACKOFF_MS, answer.retryAfterMs ?? 0));
        await store.release(claim).catch(() => undefined);
        return;
      }
    }
    this.failures.delete(key);
    if (answer.refusal === undefined) minShare.progressed(model, now);
    const result = resultOf(line.index, line.customId, answer);
    const kept = await store.complete(batch.id, result);
    if (kept) this.options.onLine?.(batch, result, promoted);
  }

  /** Extends the claims of lines still running, so no other instance takes them up. */
  private async renew(): Promise<void> {
    if (this.running.size === 0) return;
    const claims = [...this.running.values()].map((r) => r.claim);
    await this.options.store
      .renew(claims, this.options.settings.lineLeaseMs, this.options.clock.now())
      .catch(() => undefined);
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), this.options.settings.pollMs);
    this.timer.unref();
  }

  /**
   * Stops claiming; lines in flight are given back at once (another
   * instance, or this one after a restart, runs them) unless `finish`.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.renewTimer);
    const running = [...this.running.values()];
    for (const r of running) r.abort.abort();
    await this.ticking;
    await Promise.all(running.map((r) => this.options.store.release(r.claim).catch(() => undefined)));
  }
}

function lineKey(claim: ClaimedLine): string {
  return `${claim.batchId}#${claim.line.index}`;
}

/** A line's answer as its result: a 2xx succeeded, anything else errored with the answer's body. */
export function resultOf(index: number, customId: string, answer: LineAnswer): LineResult {
  const succeeded = answer.status >= 200 && answer.status < 300 && answer.error === undefined;
  return {
    index,
    customId,
    outcome: succeeded ? 'succeeded' : 'errored',
    status: answer.status,
    requestId: answer.requestId,
    body: answer.body,
    error: succeeded ? undefined : (answer.error ?? errorOfBody(answer)),
    tokens: answer.tokens,
  };
}

/** The error an errored answer's body carries (OpenAI's and Anthropic's envelopes), for the error file. */
function errorOfBody(answer: LineAnswer): { code: string; message: string } {
  const body = answer.body as { error?: { code?: unknown; type?: unknown; message?: unknown } } | undefined;
  const error = body?.error;
  const code =
    typeof error?.code === 'string'
      ? error.code
      : typeof error?.type === 'string'
        ? error.type
        : answer.refusal;
  const message =
    typeof error?.message === 'string' ? error.message : `The request failed with status ${answer.status}.`;
  return { code: code ?? `http_${answer.status}`, message };
}

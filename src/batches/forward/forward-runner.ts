/**
 * Forward mode of the background lane: batches of a model group with
 * `batch: { mode: forward }` go to the provider's own Batch API. The lead's
 * lane calls `tick(now)` every `batches.poll_ms` (and on wake); each tick
 * moves every active forwarded batch one step:
 *
 *   validating, not sent   → sent when its deployment's enqueued-token
 *                            bucket has room and its tenant may spend it
 *                            (`tenantHold`); else it waits, with a reason
 *   sent, provider checking → nothing (stays `validating`)
 *   sent, provider running → `in_progress`
 *   provider ended         → every result written, then `finalizing`
 *                            (or left `cancelling`) with `forward.endedAs`,
 *                            then `onEnded`
 *   `cancelling`           → the cancel is forwarded once
 *
 * The Sluice batch stays `validating` until the provider has accepted it
 * (OpenAI validates asynchronously and may fail it with
 * `token_limit_exceeded`): a refused batch goes back to waiting without a
 * client ever seeing it go from `in_progress` back to `validating`.
 *
 * Crash safety. Before the provider's create is sent the batch is marked
 * in the store (`forward.submittingAt`, a transition only one instance
 * wins), and the provider's id is written right after. An instance that
 * finds a mark without an id older than `submitTimeoutMs` (its sender
 * died, or is hung past every request timeout) looks the batch up at the
 * provider (OpenAI: `metadata.sluice_batch_id`; Anthropic: the earliest
 * batch created since the mark with as many requests, held by no other
 * Sluice batch) and adopts it, or clears the mark so the batch is sent on
 * the next tick. So a provider batch is created at most once per mark.
 * Results are written with `complete`, which keeps the first per line, so
 * a crash between the provider's end and our writes only repeats them.
 */
import type { Clock } from '../../core/clock.js';
import type { Deployment } from '../../runtime/deployment.js';
import type { BatchRecord, BatchStatus, ForwardState } from '../batch.js';
import type { BatchStore } from '../batch-store.js';
import { batchClientFor } from './batch-client.js';
import { linesWithoutResult } from './batch-lines.js';
import { EnqueuedLimits, type EnqueuedReading, enqueuedByDeployment, holdsRoom } from './enqueued-tokens.js';
import { forwardDeploymentOf } from './forward-target.js';
import type { ProviderBatchClient, SubmittedBatch } from './provider-batch.js';
import { type FetchLike, ProviderBatchError } from './provider-http.js';
import { writeProviderResults } from './provider-results.js';

export type ForwardOutcome = NonNullable<ForwardState['endedAs']>;

/** A forwarded batch whose provider batch ended and whose results are all written. */
export interface ForwardEnd {
  readonly batchId: string;
  readonly outcome: ForwardOutcome;
  /** Why it failed as a whole (empty otherwise). */
  readonly errors: readonly { readonly code: string; readonly message: string }[];
}

/** The deployments in force (the governor's topology; it changes on reload). */
export interface ForwardDeployments {
  /** The deployments of a model group, in config order (empty when no such group). */
  group(name: string): readonly Deployment[];
  byId(id: string): Deployment | undefined;
}

export interface ForwardRunnerOptions {
  readonly store: BatchStore;
  readonly clock: Clock;
  readonly deployments: ForwardDeployments;
  /**
   * Finalizes an ended batch (the lead's finalizer: output files, the final
   * status). Called at least once per end (again after a crash), so it must
   * be a `transition` that only one call wins. Default: `finishForwarded`.
   */
  readonly onEnded?: ((end: ForwardEnd) => Promise<void>) | undefined;
  /** Told of a step that failed (the step is tried again next tick). */
  readonly onError?: ((batchId: string, error: unknown) => void) | undefined;
  readonly fetch?: FetchLike | undefined;
  /** Names this instance in line claims. */
  readonly instance?: string | undefined;
  /** A submitting mark older than this is someone's crash (longer than any request's timeout). Default 120 s. */
  readonly submitTimeoutMs?: number | undefined;
  /**
   * Why a batch may not be sent to `deployment` yet for its tenant (the
   * gateway's: a spending budget without room for it); undefined: it may.
   * Asked on every tick the batch waits; it waits in `validating` with the reason.
   */
  readonly tenantHold?:
    | ((batch: BatchRecord, deployment: Deployment) => Promise<{ code: string; message: string } | undefined>)
    | undefined;
  /** After the provider refuses a batch (queue full, 429, 5xx), wait this long before sending it again. Default 60 s. */
  readonly refusedRetryMs?: number | undefined;
}

/** The default `onEnded`: the batch takes its outcome as its status. */
export function finishForwarded(store: BatchStore, clock: Clock): (end: ForwardEnd) => Promise<void> {
  return async (end) => {
    await store.transition(end.batchId, ['validating', 'in_progress', 'finalizing', 'cancelling'], (b) => ({
      ...b,
      status: end.outcome,
      times: { ...b.times, [end.outcome]: clock.now() },
      ...(end.errors.length > 0 && { errors: end.errors }),
    }));
  };
}

/** Statuses in which a batch not yet at the provider may be sent or found. */
const UNSENT: readonly ('validating' | 'cancelling')[] = ['validating', 'cancelling'];
/** Statuses from which a forwarded batch ends (its results written). */
const ENDING: readonly BatchStatus[] = ['validating', 'in_progress', 'cancelling'];

export class ForwardRunner {
  private readonly store: BatchStore;
  private readonly clock: Clock;
  private readonly deployments: ForwardDeployments;
  private readonly onEnded: (end: ForwardEnd) => Promise<void>;
  private readonly fetchFn: FetchLike;
  private readonly instance: string;
  private readonly submitTimeoutMs: number;
  private readonly refusedRetryMs: number;
  private readonly limits = new EnqueuedLimits();
  /** Batches the provider refused lately: not sent again before this time. */
  private readonly notBefore = new Map<string, number>();
  private running: Promise<void> | undefined;

  constructor(private readonly options: ForwardRunnerOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.deployments = options.deployments;
    this.onEnded = options.onEnded ?? finishForwarded(options.store, options.clock);
    this.fetchFn = options.fetch ?? fetch;
    this.instance = options.instance ?? 'forward';
    this.submitTimeoutMs = options.submitTimeoutMs ?? 120_000;
    this.refusedRetryMs = options.refusedRetryMs ?? 60_000;
  }

  /** One step for every active forwarded batch; a tick asked for while one runs joins it. */
  tick(now: number = this.clock.now()): Promise<void> {
    this.running ??= this.run(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Enqueued tokens and limit (for /metrics), cluster-wide: every deployment
   * holding some, and each of `include` (e.g. every deployment declaring
   * `enqueued_tokens`) even when it holds none. Sorted by deployment id.
   */
  async enqueued(include: readonly Deployment[] = []): Promise<EnqueuedReading[]> {
    const held = enqueuedByDeployment(await this.store.activeBatches());
    const ids = new Set([...held.keys(), ...include.map((d) => d.id)]);
    return [...ids].sort().map((id) => {
      const configured = (include.find((d) => d.id === id) ?? this.deployments.byId(id))?.config
        .enqueuedTokens;
      return { deployment: id, tokens: held.get(id) ?? 0, limit: this.limits.limit(id, configured) };
    });
  }

  private async run(now: number): Promise<void> {
    const all = await this.store.activeBatches();
    const mine = all.filter((b) => b.mode === 'forward').sort((a, b) => a.createdAt - b.createdAt);
    const held = enqueuedByDeployment(all);
    const taken = new Set(
      all.flatMap((b) => (b.forward?.providerBatchId ? [b.forward.providerBatchId] : [])),
    );
    for (const batch of mine) {
      try {
        await this.step(batch, { now, held, taken });
      } catch (error) {
        this.options.onError?.(batch.id, error);
      }
    }
    for (const id of this.notBefore.keys()) if (!mine.some((b) => b.id === id)) this.notBefore.delete(id);
  }

  private async step(batch: BatchRecord, ctx: TickContext): Promise<void> {
    const f = batch.forward;
    if (f?.endedAs)
      return this.onEnded({ batchId: batch.id, outcome: f.endedAs, errors: batch.errors ?? [] });
    if (f?.providerBatchId === undefined) {
      if (f?.submittingAt !== undefined) return this.recover(batch, f, ctx);
      if (batch.status === 'cancelling') return this.endUnsent(batch, 'cancelled', ctx);
      if (ctx.now >= batch.expiresAt) return this.endUnsent(batch, 'expired', ctx);
      if (batch.status === 'validating') return this.submit(batch, ctx);
      return;
    }
    const deployment = this.deployments.byId(f.deployment);
    const client = deployment && batchClientFor(deployment, batch.api, this.fetchFn);
    if (!client) return; // its deployment left the config: wait for it to come back
    if (batch.status === 'cancelling' && !f.cancelSent) await this.cancel(batch, f, client);
    await this.poll(batch, f, client, ctx);
  }

  private async submit(batch: BatchRecord, ctx: TickContext): Promise<void> {
    if ((this.notBefore.get(batch.id) ?? 0) > ctx.now) return;
    const known = batch.forward?.deployment;
    const deployment =
      (known !== undefined ? this.deployments.byId(known) : undefined) ??
      forwardDeploymentOf(this.deployments.group(batch.model), batch.api);
    const client = deployment && batchClientFor(deployment, batch.api, this.fetchFn);
    if (!deployment || !client) {
      return this.endUnsent(batch, 'failed', ctx, [
        {
          code: 'forward_unavailable',
          message: `No deployment of model group ${batch.model} takes ${batch.api} batches (forward mode needs a deployment of that provider with its own api_key).`,
        },
      ]);
    }
    const configured = deployment.config.enqueuedTokens;
    if (configured !== undefined && batch.inputTokens > configured) {
      return this.endUnsent(batch, 'failed', ctx, [
        {
          code: 'token_limit_exceeded',
          message: `The batch's ${batch.inputTokens} input tokens exceed the enqueued-token limit of ${configured} of deployment ${deployment.id}.`,
        },
      ]);
    }
    const held = ctx.held.get(deployment.id) ?? 0;
    const limit = this.limits.limit(deployment.id, configured);
    if (limit !== undefined && held + batch.inputTokens > limit) {
      return this.wait(batch, deployment.id, {
        code: 'enqueued_token_limit',
        message: `Waiting for room at the provider: ${held} of ${limit} enqueued tokens are held on deployment ${deployment.id}; this batch needs ${batch.inputTokens}.`,
      });
    }
    const hold = await this.options.tenantHold?.(batch, deployment);
    if (hold) return this.wait(batch, deployment.id, hold);
    const lines = await linesWithoutResult(this.store, batch, { instance: this.instance, now: ctx.now });
    if (!lines) return;
    const marked = await this.moveIf(batch.id, ['validating'], unsent, (b) => ({
      ...b,
      forward: { deployment: deployment.id, enqueuedTokens: b.inputTokens, submittingAt: ctx.now },
    }));
    if (!marked) return; // another instance marked it first, or it was cancelled meanwhile
    ctx.held.set(deployment.id, held + batch.inputTokens);
    let sent: Awaited<ReturnType<ProviderBatchClient['submit']>>;
    try {
      sent = await client.submit(marked, lines);
    } catch (error) {
      // No answer at all: the create may have reached the provider, so the mark stays and recovery decides.
      if (error instanceof ProviderBatchError && error.status === 0) throw error;
      ctx.held.set(deployment.id, held);
      if (error instanceof ProviderBatchError && !error.retryable) {
        return this.endUnsent(batch, 'failed', ctx, [{ code: error.code, message: error.message }]);
      }
      this.notBefore.set(batch.id, ctx.now + this.refusedRetryMs);
      const reason = error instanceof ProviderBatchError ? error : undefined;
      await this.moveIf(batch.id, UNSENT, markedAt(ctx.now), (b) => ({
        ...b,
        forward: {
          deployment: deployment.id,
          enqueuedTokens: b.inputTokens,
          waiting: { code: reason?.code ?? 'provider_error', message: reason?.message ?? String(error) },
        },
      }));
      throw error;
    }
    ctx.taken.add(sent.providerBatchId);
    await this.record(batch.id, ctx.now, sent);
  }

  /** Writes the provider's id beside the mark it was sent under (kept: the batch stays held until it ends). */
  private record(batchId: string, mark: number, sent: SubmittedBatch): Promise<unknown> {
    return this.moveIf(batchId, UNSENT, markedAt(mark), (b) => ({
      ...b,
      forward: {
        ...(b.forward as ForwardState),
        providerBatchId: sent.providerBatchId,
        ...(sent.providerFileId !== undefined && { providerFileId: sent.providerFileId }),
        waiting: undefined,
      },
    }));
  }

  /** A mark without a provider id: adopt the batch its sender created, or clear the mark once it is surely stale. */
  private async recover(batch: BatchRecord, f: ForwardState, ctx: TickContext): Promise<void> {
    if (ctx.now - (f.submittingAt as number) < this.submitTimeoutMs) return;
    const deployment = this.deployments.byId(f.deployment);
    const client = deployment && batchClientFor(deployment, batch.api, this.fetchFn);
    if (!client) return;
    const lines = await linesWithoutResult(this.store, batch, { instance: this.instance, now: ctx.now });
    if (!lines) return;
    const found = await client.find(batch, lines, { since: f.submittingAt as number, taken: ctx.taken });
    if (found !== undefined) {
      ctx.taken.add(found);
      await this.record(batch.id, f.submittingAt as number, { providerBatchId: found });
      return;
    }
    await this.moveIf(batch.id, UNSENT, markedAt(f.submittingAt as number), (b) => ({
      ...b,
      forward: { deployment: f.deployment, enqueuedTokens: f.enqueuedTokens },
    }));
  }

  private async cancel(batch: BatchRecord, f: ForwardState, client: ProviderBatchClient): Promise<void> {
    try {
      await client.cancel(f.providerBatchId as string);
    } catch (error) {
      // 409: it ended at the provider already; polling reads how.
      if (!(error instanceof ProviderBatchError && error.status === 409)) throw error;
    }
    await this.store.transition(batch.id, ['cancelling'], (b) => ({
      ...b,
      forward: { ...(b.forward as ForwardState), cancelSent: true },
    }));
  }

  private async poll(batch: BatchRecord, f: ForwardState, client: ProviderBatchClient, ctx: TickContext) {
    const providerBatchId = f.providerBatchId as string;
    const state = await client.state(providerBatchId);
    if (state.phase === 'validating') return;
    if (state.phase === 'running') {
      if (batch.status === 'validating') {
        await this.store.transition(batch.id, ['validating'], (b) => ({
          ...b,
          status: 'in_progress',
          times: { ...b.times, in_progress: ctx.now },
        }));
      }
      return;
    }
    const limitError = state.errors.find((e) => e.code === 'token_limit_exceeded');
    if (state.outcome === 'failed' && limitError) return this.refused(batch, f, limitError, ctx);
    if (state.outcome === 'failed') return this.ended(batch, 'failed', ctx, state.errors);
    const lines = await linesWithoutResult(this.store, batch, { instance: this.instance, now: ctx.now });
    if (!lines) return;
    const results = await client.results(providerBatchId, lines);
    await writeProviderResults(this.store, batch.id, {
      lines,
      results,
      outcome: state.outcome,
      now: ctx.now,
    });
    await this.ended(batch, state.outcome, ctx, []);
  }

  /** `token_limit_exceeded`: the provider's queue was fuller than we knew; learn its limit and wait. */
  private async refused(
    batch: BatchRecord,
    f: ForwardState,
    error: { code: string; message: string },
    ctx: TickContext,
  ): Promise<void> {
    const held = ctx.held.get(f.deployment) ?? 0;
    this.limits.refused(f.deployment, {
      message: error.message,
      heldBesides: Math.max(0, held - f.enqueuedTokens),
      batchTokens: f.enqueuedTokens,
    });
    this.notBefore.set(batch.id, ctx.now + this.refusedRetryMs);
    const back = await this.moveIf(
      batch.id,
      ['validating', 'in_progress'],
      sentAs(f.providerBatchId),
      (b) => ({
        ...b,
        status: 'validating',
        forward: { deployment: f.deployment, enqueuedTokens: f.enqueuedTokens, waiting: error },
      }),
    );
    if (back) ctx.held.set(f.deployment, Math.max(0, held - f.enqueuedTokens));
  }

  /** A batch never sent ends here (cancelled or expired while waiting, or it cannot be sent at all). */
  private async endUnsent(
    batch: BatchRecord,
    outcome: ForwardOutcome,
    ctx: TickContext,
    errors: readonly { code: string; message: string }[] = [],
  ): Promise<void> {
    if (outcome === 'cancelled' || outcome === 'expired') {
      await this.store.endRemaining(batch.id, outcome === 'cancelled' ? 'canceled' : 'expired', ctx.now);
    }
    await this.ended(batch, outcome, ctx, errors);
  }

  /** Every result is written: say so in the store (the mark a restart finalizes from), then finalize. */
  private async ended(
    batch: BatchRecord,
    outcome: ForwardOutcome,
    ctx: TickContext,
    errors: readonly { code: string; message: string }[],
  ): Promise<void> {
    const now = ctx.now;
    const ends = (b: BatchRecord) => !b.forward?.endedAs && sentAs(batch.forward?.providerBatchId)(b);
    const marked = await this.moveIf(batch.id, ENDING, ends, (b) => ({
      ...b,
      status: outcome === 'failed' || b.status === 'cancelling' ? b.status : 'finalizing',
      // A batch the provider ran between two polls never showed `in_progress` here: it began now too.
      times:
        outcome === 'failed' || b.status === 'cancelling'
          ? b.times
          : { in_progress: now, ...b.times, finalizing: now },
      ...(errors.length > 0 && { errors }),
      forward: {
        ...(b.forward ?? { deployment: '', enqueuedTokens: 0 }),
        endedAs: outcome,
        waiting: undefined,
      },
    }));
    if (!marked) return;
    // Its room is free from now on: a batch waiting behind it may go in this same tick.
    if (holdsRoom(batch) && batch.forward) {
      const held = ctx.held.get(batch.forward.deployment) ?? 0;
      ctx.held.set(batch.forward.deployment, Math.max(0, held - batch.forward.enqueuedTokens));
    }
    this.notBefore.delete(batch.id);
    await this.onEnded({ batchId: batch.id, outcome, errors });
  }

  /**
   * A transition applied only while `holds` is true of the batch as stored
   * (the stores apply `change` to the record they swap, so the check and
   * the write are one step): two instances acting on the same batch cannot
   * both mark it, and a step decided on an old read cannot undo a newer one.
   * Undefined when it did not apply.
   */
  private async moveIf(
    id: string,
    from: readonly BatchStatus[],
    holds: (batch: BatchRecord) => boolean,
    change: (batch: BatchRecord) => BatchRecord,
  ): Promise<BatchRecord | undefined> {
    let applied = false;
    const next = await this.store.transition(id, from, (b) => {
      applied = holds(b);
      return applied ? change(b) : b;
    });
    return applied ? next : undefined;
  }

  /** A batch with nowhere to go yet: the reason is kept for the API to show (written only when it changes). */
  private async wait(batch: BatchRecord, deployment: string, reason: { code: string; message: string }) {
    const now = batch.forward?.waiting;
    if (
      now?.code === reason.code &&
      now.message === reason.message &&
      batch.forward?.deployment === deployment
    )
      return;
    await this.moveIf(batch.id, ['validating'], unsent, (b) => ({
      ...b,
      forward: { deployment, enqueuedTokens: b.inputTokens, waiting: reason },
    }));
  }
}

interface TickContext {
  readonly now: number;
  /** Enqueued tokens per deployment, kept current through the tick as batches are sent. */
  readonly held: Map<string, number>;
  /** Provider batch ids some Sluice batch holds. */
  readonly taken: Set<string>;
}

/** Not at the provider, not being sent, not ended. */
function unsent(b: BatchRecord): boolean {
  return (
    b.forward?.submittingAt === undefined && b.forward?.providerBatchId === undefined && !b.forward?.endedAs
  );
}

/** Still under the submitting mark set at `mark`, with no provider id recorded. */
function markedAt(mark: number): (b: BatchRecord) => boolean {
  return (b) => b.forward?.submittingAt === mark && b.forward.providerBatchId === undefined;
}

/** Still sent as the provider batch `id`. */
function sentAs(id: string | undefined): (b: BatchRecord) => boolean {
  return (b) => b.forward?.providerBatchId === id;
}

/**
 * Delivers alert level changes to the operator's webhooks (issue 20): one
 * POST per change, signed when the webhook has a secret, retried with
 * exponential backoff and jitter on network errors, timeouts, 429 and 5xx
 * (a `Retry-After` is honoured), never on another 4xx. Each webhook has its
 * own bounded queue delivered in order, one POST at a time; when the queue
 * is full the oldest change is dropped (and counted). Nothing here is on a
 * request's path: `notify` only queues.
 */
import type { Cancel, Clock } from '../../core/clock.js';
import { retryAfterFromHeaders } from '../../providers/parse/retry-after.js';
import type { AlertTransition } from '../../runtime/load/bucket-levels.js';
import { alertEvent, type WebhookFormat, webhookBody } from './alert-payload.js';
import { SIGNATURE_HEADER, signature } from './webhook-signature.js';

export interface AlertWebhookConfig {
  readonly url: string;
  readonly secret?: string | undefined;
  readonly format: WebhookFormat;
  /** One attempt's longest wait for the receiver's answer. */
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped';

export interface AlertWebhooksOptions {
  readonly clock: Clock;
  /** Uniform in [0, 1): the backoff's jitter (tests pin it). */
  readonly random?: () => number;
  /** Told each change's fate per webhook (metrics, logs). */
  readonly onOutcome?: (webhook: string, outcome: DeliveryOutcome, detail?: string) => void;
  readonly fetch?: typeof fetch;
}

/** Changes waiting per webhook while one is being delivered. */
export const MAX_QUEUED = 100;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;
/** A receiver's Retry-After is followed up to this long. */
const MAX_RETRY_AFTER_MS = 300_000;

/** How a webhook is named in metrics and logs: its position and host, never its path, query or secret. */
export function webhookLabel(config: AlertWebhookConfig, index: number): string {
  let host = 'invalid';
  try {
    host = new URL(config.url).host;
  } catch {
    // validated by the config schema; a label must not throw
  }
  return `${index}:${host}`;
}

export class AlertWebhooks {
  private queues: WebhookQueue[] = [];

  constructor(
    webhooks: readonly AlertWebhookConfig[],
    private readonly options: AlertWebhooksOptions,
  ) {
    this.reconfigure(webhooks);
  }

  /** The labels of the webhooks in force (for zero series). */
  labels(): string[] {
    return this.queues.map((q) => q.label);
  }

  /**
   * New webhooks (a reload). A webhook unchanged at its position keeps its
   * queue, so a reload that touches other keys loses no change in flight;
   * changes still queued for a removed or changed webhook are dropped.
   */
  reconfigure(webhooks: readonly AlertWebhookConfig[]): void {
    const old = this.queues;
    this.queues = webhooks.map((config, i) => {
      const kept = old[i];
      return kept && sameWebhook(kept.config, config)
        ? kept
        : new WebhookQueue(config, webhookLabel(config, i), this.options);
    });
    for (const q of old) if (!this.queues.includes(q)) q.close();
  }

  /** Queues one level change for every webhook; returns at once. */
  notify(transition: AlertTransition): void {
    if (this.queues.length === 0) return;
    const event = alertEvent(transition, this.options.clock.now());
    for (const q of this.queues) q.push(webhookBody(event, q.config.format));
  }

  /** Stops delivering; what is queued is dropped. */
  close(): void {
    for (const q of this.queues) q.close();
    this.queues = [];
  }
}

function sameWebhook(a: AlertWebhookConfig, b: AlertWebhookConfig): boolean {
  return (
    a.url === b.url &&
    a.secret === b.secret &&
    a.format === b.format &&
    a.timeoutMs === b.timeoutMs &&
    a.maxAttempts === b.maxAttempts
  );
}

type Attempt =
  | { kind: 'done' }
  | { kind: 'final'; detail: string }
  | { kind: 'again'; afterMs?: number; detail: string };

class WebhookQueue {
  private readonly pending: string[] = [];
  private delivering = false;
  private closed = false;
  /** Ends the backoff under way early (on close), so the change in flight is counted. */
  private endWait: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(
    readonly config: AlertWebhookConfig,
    readonly label: string,
    private readonly options: AlertWebhooksOptions,
  ) {}

  push(body: string): void {
    if (this.closed) return;
    if (this.pending.length >= MAX_QUEUED) {
      this.pending.shift();
      this.options.onOutcome?.(this.label, 'dropped', 'queue full');
    }
    this.pending.push(body);
    void this.deliver();
  }

  close(): void {
    this.closed = true;
    this.endWait?.();
    this.abort.abort();
    for (const _ of this.pending) this.options.onOutcome?.(this.label, 'dropped', 'closed');
    this.pending.length = 0;
  }

  private async deliver(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let body = this.pending.shift(); body !== undefined && !this.closed; body = this.pending.shift()) {
        const outcome = await this.send(body);
        if (this.closed) {
          this.options.onOutcome?.(this.label, 'dropped', 'closed');
          return;
        }
        this.options.onOutcome?.(this.label, outcome.ok ? 'delivered' : 'failed', outcome.detail);
      }
    } finally {
      this.delivering = false;
    }
  }

  /** Up to `maxAttempts` attempts of one change, with backoff between them. */
  private async send(body: string): Promise<{ ok: boolean; detail?: string }> {
    let last = '';
    for (let attempt = 1; attempt <= this.config.maxAttempts; attempt++) {
      const result = await this.attempt(body);
      if (result.kind === 'done') return { ok: true };
      last = result.detail;
      if (result.kind === 'final' || this.closed || attempt === this.config.maxAttempts) break;
      const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      const jittered = backoff * (0.5 + 0.5 * (this.options.random ?? Math.random)());
      await this.wait(Math.max(jittered, Math.min(result.afterMs ?? 0, MAX_RETRY_AFTER_MS)));
      if (this.closed) break; // closed during the backoff: no further POST
    }
    return { ok: false, detail: last };
  }

  private async attempt(body: string): Promise<Attempt> {
    const { clock } = this.options;
    const timeout = new AbortController();
    const onClose = () => timeout.abort();
    this.abort.signal.addEventListener('abort', onClose, { once: true });
    const cancelTimeout = clock.schedule(this.config.timeoutMs, () => timeout.abort());
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'sluice-alerts',
    };
    if (this.config.secret)
      headers[SIGNATURE_HEADER] = signature(this.config.secret, body, Math.floor(clock.now() / 1000));
    try {
      const response = await (this.options.fetch ?? fetch)(this.config.url, {
        method: 'POST',
        headers,
        body,
        signal: timeout.signal,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { kind: 'done' };
      const detail = `status ${response.status}`;
      if (response.status === 429 || response.status >= 500) {
        const afterMs = retryAfterFromHeaders(response.headers, clock.now());
        return { kind: 'again', detail, ...(afterMs !== undefined && { afterMs }) };
      }
      return { kind: 'final', detail };
    } catch (error) {
      const detail = timeout.signal.aborted
        ? 'timed out'
        : error instanceof Error
          ? error.message
          : String(error);
      return { kind: 'again', detail };
    } finally {
      cancelTimeout();
      this.abort.signal.removeEventListener('abort', onClose);
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      let cancel: Cancel | undefined;
      const end = () => {
        cancel?.();
        this.endWait = undefined;
        resolve();
      };
      this.endWait = end;
      cancel = this.options.clock.schedule(ms, end);
    });
  }
}

/**
 * Counters behind `GET /_sim/stats`: what was asked, admitted, refused (by
 * dimension), produced, and how busy the simulator got.
 */
import type { FaultKind } from './config.js';
import type { Flavour } from './flavour.js';
import type { RefusedDimension } from './limits/scope.js';

export type RejectionCounts = Record<RefusedDimension, number>;

function noRejections(): RejectionCounts {
  return { rpm: 0, tpm: 0, itpm: 0, otpm: 0, rpd: 0, tpd: 0, concurrency: 0 };
}

export interface ScopeCounters {
  requests: number;
  admitted: number;
  rejected: RejectionCounts;
  input_tokens: number;
  output_tokens: number;
}

export interface StatsSnapshot {
  readonly since: string;
  readonly requests: number;
  readonly admitted: number;
  readonly rejected: RejectionCounts;
  /** Refusals of requests larger than a whole limit (also counted under their dimension). */
  readonly rejected_too_large: number;
  readonly faults: Partial<Record<FaultKind, number>>;
  readonly responses: Record<string, number>;
  readonly tokens: { readonly input: number; readonly output: number };
  readonly concurrency: { readonly current: number; readonly peak: number };
  readonly by_flavour: Record<Flavour, number>;
  /** key → model → counters. */
  readonly per_key: Record<string, Record<string, ScopeCounters>>;
}

export class SimStats {
  private since = 0;
  private requests = 0;
  private admitted = 0;
  private rejected = noRejections();
  private tooLarge = 0;
  private faults: Partial<Record<FaultKind, number>> = {};
  private responses: Record<string, number> = {};
  private input = 0;
  private output = 0;
  private current = 0;
  private peak = 0;
  private byFlavour: Record<Flavour, number> = { openai: 0, anthropic: 0, gemini: 0 };
  private perKey = new Map<string, Map<string, ScopeCounters>>();

  constructor(now: number) {
    this.since = now;
  }

  request(flavour: Flavour): void {
    this.requests++;
    this.byFlavour[flavour]++;
  }

  /** Per key and model, once the call is understood. */
  scope(key: string, model: string): ScopeCounters {
    let models = this.perKey.get(key);
    if (!models) {
      models = new Map();
      this.perKey.set(key, models);
    }
    let counters = models.get(model);
    if (!counters) {
      counters = { requests: 0, admitted: 0, rejected: noRejections(), input_tokens: 0, output_tokens: 0 };
      models.set(model, counters);
    }
    return counters;
  }

  admit(scope: ScopeCounters): void {
    this.admitted++;
    scope.admitted++;
    this.current++;
    if (this.current > this.peak) this.peak = this.current;
  }

  /** An admitted call is over (completed, cut or aborted). */
  release(): void {
    this.current--;
  }

  reject(scope: ScopeCounters, dimension: RefusedDimension, tooLarge: boolean): void {
    this.rejected[dimension]++;
    scope.rejected[dimension]++;
    if (tooLarge) this.tooLarge++;
  }

  fault(kind: FaultKind): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  response(status: number): void {
    const key = String(status);
    this.responses[key] = (this.responses[key] ?? 0) + 1;
  }

  tokens(scope: ScopeCounters, input: number, output: number): void {
    this.input += input;
    this.output += output;
    scope.input_tokens += input;
    scope.output_tokens += output;
  }

  snapshot(): StatsSnapshot {
    const perKey: Record<string, Record<string, ScopeCounters>> = {};
    for (const [key, models] of this.perKey) {
      perKey[key] = Object.fromEntries(
        [...models].map(([m, c]) => [m, { ...c, rejected: { ...c.rejected } }]),
      );
    }
    return {
      since: new Date(this.since).toISOString(),
      requests: this.requests,
      admitted: this.admitted,
      rejected: { ...this.rejected },
      rejected_too_large: this.tooLarge,
      faults: { ...this.faults },
      responses: { ...this.responses },
      tokens: { input: this.input, output: this.output },
      concurrency: { current: this.current, peak: this.peak },
      by_flavour: { ...this.byFlavour },
      per_key: perKey,
    };
  }

  /** Zeroes the counters; calls still in flight stay counted as current (and as the new peak). */
  reset(now: number): void {
    this.since = now;
    this.requests = 0;
    this.admitted = 0;
    this.rejected = noRejections();
    this.tooLarge = 0;
    this.faults = {};
    this.responses = {};
    this.input = 0;
    this.output = 0;
    this.peak = this.current;
    this.byFlavour = { openai: 0, anthropic: 0, gemini: 0 };
    this.perKey.clear();
  }
}
